"""Sample mail for `mailbot demo`: requests from the committee's employees.

The texts are fictional and cover all eight processes, several charsets and
transfer encodings and the usual mail clients, plus an auto-reply, a letter
from outside the committee and a reply that continues the first request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.demo.mime_builder import Attachment, MailSpec, build_message, tiny_png

IT_MAILBOX = ("Отдел ИТ", "it@committee.example")
MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True)
class DemoMail:
    """One raw sample message with what the demo shows about it."""

    raw: bytes
    description: str
    expected_process: int | None


@dataclass(frozen=True)
class _Sample:
    spec: MailSpec
    description: str
    expected_process: int | None


_SAMPLES: tuple[_Sample, ...] = (
    _Sample(
        MailSpec(
            "Ольга Лебедева", "o.lebedeva@committee.example",
            "Не сканирует МФУ в каб. 214",
            "Добрый день!\n\n"
            "МФУ Kyocera в кабинете 214 со вчерашнего дня не сохраняет сканы в сетевую "
            "папку: на экране пишет «Ошибка отправки», копирует при этом нормально.\n"
            "Нам нужно отсканировать пакет документов к пятнице, помогите, пожалуйста.\n\n"
            "С уважением,\nО.В. Лебедева\nотдел бюджетного планирования, вн. 2-14",
            "outlook16", "utf-8", "base64", html="alternative",
        ),
        "Outlook 2016, UTF-8 в base64, текст и HTML: не работает сканирование на МФУ",
        1,
    ),
    _Sample(
        MailSpec(
            "Кузнецов Андрей", "a.kuznetsov@committee.example",
            "Не включается компьютер",
            "Здравствуйте.\n"
            "После вчерашнего отключения света системный блок не включается совсем, "
            "лампочка не горит, а бесперебойник под столом пищит каждые пару секунд.\n"
            "Кабинет 108. Работаю пока с ноутбука коллеги.\n\n"
            "Кузнецов А.С., юридический отдел",
            "thebat", "koi8-r", "8bit",
        ),
        "The Bat!, KOI8-R, 8bit: не включается системный блок, пищит ИБП",
        1,
    ),
    _Sample(
        MailSpec(
            "Миронова Елена", "e.mironova@committee.example",
            "проектор",
            "в конференц-зале проектор не видит ноутбук, пишет нет сигнала. "
            "в 15:00 совещание у председателя, подойдите пожалуйста срочно\n\n"
            "Отправлено с iPhone",
            "iphone", "utf-8", "quoted-printable",
        ),
        "iPhone, UTF-8 в quoted-printable: проектор в конференц-зале не видит ноутбук",
        1,
    ),
    _Sample(
        MailSpec(
            "Сергей Павлов", "s.pavlov@committee.example",
            "Работы на почтовом сервере в субботу?",
            "Коллеги, добрый день.\n\n"
            "Слышал, что в эту субботу будут плановые работы на почтовом сервере. "
            "Подскажите, в какие часы почта будет недоступна и будет ли работать "
            "почта на телефоне? В субботу дежурю по приёму обращений граждан.\n\n"
            "Спасибо!\nС. Павлов",
            "thunderbird", "utf-8", "8bit",
        ),
        "Thunderbird, UTF-8, 8bit: вопрос о времени плановых работ на почте",
        2,
    ),
    _Sample(
        MailSpec(
            "Григорьева Наталья Петровна", "n.grigoryeva@committee.example",
            "График дежурств отдела ИТ в праздничные дни",
            "Уважаемые коллеги!\n\n"
            "Прошу сообщить, кто из сотрудников отдела информационных технологий "
            "дежурит в майские праздничные дни и по какому телефону к нему обращаться "
            "в случае неисправности оборудования в приёмной.\n\n"
            "Начальник общего отдела\nН.П. Григорьева",
            "outlook14", "windows-1251", "quoted-printable",
        ),
        "Outlook 2010, Windows-1251 в quoted-printable: кто дежурит в праздники",
        2,
    ),
    _Sample(
        MailSpec(
            "Орлов Дмитрий Игоревич", "d.orlov@committee.example",
            "Выгрузка из СЭД для арбитражного суда",
            "Добрый день.\n\n"
            "В связи с рассмотрением дела в арбитражном суде прошу подготовить перечень "
            "всех входящих писем от ООО «Теплосеть-Инвест» за 2025 год, "
            "зарегистрированных в СЭД «Дело»: дата, регистрационный номер, краткое "
            "содержание, исполнитель. Срок представления в суд — 20 число.\n\n"
            "Начальник юридического отдела\nД.И. Орлов",
            "outlook16", "utf-8", "base64", html="alternative",
        ),
        "Outlook 2016, UTF-8 в base64: юристам нужна выгрузка писем из СЭД для суда",
        3,
    ),
    _Sample(
        MailSpec(
            "Белова Марина", "m.belova@committee.example",
            "Звонки на горячую линию, депутатский запрос",
            "Здравствуйте!\n"
            "Для ответа на депутатский запрос нам нужно количество звонков на номер "
            "горячей линии 2-00 за январь и февраль по дням, по данным АТС. "
            "Можно в Excel.\n\n"
            "Марина Белова\nотдел по работе с обращениями",
            "yandex", "utf-8", "base64", html="alternative",
        ),
        "Веб-почта Яндекса, UTF-8 в base64: статистика звонков из АТС для ответа депутату",
        3,
    ),
    _Sample(
        MailSpec(
            "Волкова Татьяна", "t.volkova@committee.example",
            "Подозрительное письмо от «председателя»",
            "Добрый день,\n\n"
            "мне пришло письмо якобы от председателя комитета с личного адреса, "
            "в нём просят срочно оплатить счёт по ссылке и никому не говорить. "
            "Я открыла ссылку, но ничего не вводила. Письмо не удаляю. "
            "Что мне делать дальше, не заражён ли компьютер?\n\n"
            "Т. Волкова, бухгалтерия",
            "thunderbird", "utf-8", "quoted-printable",
        ),
        "Thunderbird, UTF-8 в quoted-printable: фишинговое письмо, пользователь открыл ссылку",
        4,
    ),
    _Sample(
        MailSpec(
            "Соколов Игорь Николаевич", "i.sokolov@committee.example",
            "Заблокирована учётная запись",
            "Здравствуйте!\n\n"
            "Вернулся из отпуска, Windows пишет, что срок действия пароля истёк, "
            "а после нескольких попыток — что учётная запись заблокирована. "
            "Прошу разблокировать. Телефон для связи 2-47.\n\n"
            "И.Н. Соколов\nотдел контроля",
            "outlook14", "windows-1251", "quoted-printable",
        ),
        "Outlook 2010, Windows-1251 в quoted-printable: пароль истёк, учётная запись заблокирована",
        4,
    ),
    _Sample(
        MailSpec(
            "Ефимова Светлана", "s.efimova@committee.example",
            "Доступ к папке отдела",
            "Прошу предоставить Жуковой Анне Сергеевне (ведущий специалист нашего отдела) "
            "доступ на чтение и запись к сетевой папке \\\\fs01\\Закупки\\2026.\n"
            "Начальник отдела закупок С. Ефимова\n\n"
            "Отправлено с iPhone",
            "iphone", "utf-8", "base64",
        ),
        "iPhone, UTF-8 в base64: доступ к сетевой папке для сотрудника отдела",
        4,
    ),
    _Sample(
        MailSpec(
            "Николаева Ирина", "i.nikolaeva@committee.example",
            "Ошибка в 1С при проведении документа",
            "Добрый день!\n\n"
            "В 1С:Зарплата и кадры при проведении документа «Начисление отпуска» "
            "выходит ошибка «Не заполнен счёт учёта», скриншот во вложении. "
            "В прошлом месяце этот же документ проводился без ошибок.\n\n"
            "Николаева И.А.\nотдел кадров и бухгалтерского учёта, вн. 3-05",
            "outlook16", "utf-8", "base64",
            attachment=Attachment("ошибка_1С.png", "image/png", tiny_png()),
        ),
        "Outlook 2016, UTF-8 в base64, вложение PNG: ошибка при проведении документа в 1С",
        5,
    ),
    _Sample(
        MailSpec(
            "Захаров Павел", "p.zakharov@committee.example",
            "Как отправить документ на согласование нескольким",
            "Добрый день.\n"
            "Подскажите, как в СЭД «Дело» отправить проект приказа на согласование "
            "сразу трём начальникам отделов параллельно, а не по очереди? "
            "Сейчас получается только последовательно.\n\n"
            "Захаров П.В., отдел правового обеспечения",
            "thebat", "windows-1251", "8bit",
        ),
        "The Bat!, Windows-1251, 8bit: как в СЭД «Дело» отправить на параллельное согласование",
        5,
    ),
    _Sample(
        MailSpec(
            "Антонова Юлия Сергеевна", "yu.antonova@committee.example",
            "ГИС ЖКХ не принимает файл",
            "Коллеги, помогите, пожалуйста.\n\n"
            "При загрузке сведений о капитальном ремонте в ГИС ЖКХ система выдаёт "
            "«Файл не соответствует шаблону», хотя шаблон скачан с портала сегодня. "
            "Срок размещения сведений — до конца недели.\n\n"
            "Ю.С. Антонова\nотдел жилищного надзора",
            "outlook16", "utf-8", "quoted-printable", html="only",
        ),
        "Outlook 2016, только HTML в quoted-printable: ГИС ЖКХ не принимает файл",
        5,
    ),
    _Sample(
        MailSpec(
            "Тарасова Людмила Ивановна", "l.tarasova@committee.example",
            "Заканчивается сертификат электронной подписи",
            "Добрый день!\n\n"
            "Срок действия моего сертификата ключа электронной подписи истекает "
            "15 числа. Прошу сообщить, какие документы нужно подготовить для "
            "удостоверяющего центра и можно ли перевыпустить сертификат на тот же "
            "Рутокен.\n\n"
            "Заместитель председателя комитета\nЛ.И. Тарасова",
            "outlook14", "windows-1251", "quoted-printable",
        ),
        "Outlook 2010, Windows-1251 в quoted-printable: истекает сертификат электронной подписи",
        6,
    ),
    _Sample(
        MailSpec(
            "Алексей Морозов", "a.morozov@committee.example",
            "Электронный бюджет: не найден сертификат",
            "Здравствуйте.\n\n"
            "После переустановки Windows при подписании заявки в Электронном бюджете "
            "КриптоПро пишет «Не удалось найти сертификат». Рутокен вставлен, "
            "в списке устройств он виден.\n\n"
            "--\nАлексей Морозов\nфинансово-экономический отдел",
            "thunderbird", "utf-8", "8bit",
        ),
        "Thunderbird, UTF-8, 8bit: КриптоПро не находит сертификат после переустановки Windows",
        6,
    ),
    _Sample(
        MailSpec(
            "Смирнова Дарья", "d.smirnova@committee.example",
            "Рутокен заблокирован",
            "Три раза ошиблась с пин-кодом Рутокена, теперь он заблокирован. "
            "Нужно подписать отчёт сегодня до 17:00.\n\n"
            "Отправлено с iPhone",
            "iphone", "utf-8", "quoted-printable",
        ),
        "iPhone, UTF-8 в quoted-printable: заблокирован PIN-код Рутокена",
        6,
    ),
    _Sample(
        MailSpec(
            "Екатерина Федорова", "e.fedorova@committee.example",
            "Новый сотрудник с понедельника",
            "Добрый день!\n\n"
            "С понедельника в отдел государственной службы и кадров выходит новый "
            "сотрудник — Васильев Кирилл Олегович, главный специалист. Прошу "
            "подготовить рабочее место в кабинете 312: компьютер, учётную запись, "
            "почтовый ящик, доступ к СЭД «Дело» и 1С:Зарплата и кадры.\n\n"
            "С уважением,\nЕ.А. Федорова",
            "outlook16", "utf-8", "base64", html="alternative",
        ),
        "Outlook 2016, UTF-8 в base64: рабочее место для нового сотрудника",
        7,
    ),
    _Sample(
        MailSpec(
            "Романов Виктор", "v.romanov@committee.example",
            "Практикант на два месяца",
            "Здравствуйте!\n"
            "К нам в отдел на производственную практику на два месяца приходит студент, "
            "Гусев Максим. Нужен компьютер с учётной записью и почтой, доступ к общей "
            "папке отдела. Практика начинается 1 июля.\n\n"
            "В. Романов, отдел стратегического планирования",
            "yandex", "utf-8", "base64", html="alternative",
        ),
        "Веб-почта Яндекса, UTF-8 в base64: компьютер и учётная запись для практиканта",
        7,
    ),
    _Sample(
        MailSpec(
            "Киселева Анна Михайловна", "a.kiseleva@committee.example",
            "Мониторинг министерства по ИТ-инфраструктуре за квартал",
            "Уважаемые коллеги!\n\n"
            "Министерство цифрового развития запросило ежеквартальную форму "
            "мониторинга ИТ-инфраструктуры: количество АРМ, серверов, доля "
            "отечественного ПО. Прошу заполнить форму за I квартал и направить "
            "в отдел до 10 апреля.\n\n"
            "Начальник организационного отдела\nА.М. Киселева",
            "outlook14", "windows-1251", "8bit",
        ),
        "Outlook 2010, Windows-1251, 8bit: квартальная форма мониторинга для министерства",
        8,
    ),
    _Sample(
        MailSpec(
            "Петров Николай", "n.petrov@committee.example",
            "Раздел годового отчёта о цифровизации",
            "Добрый день.\n"
            "Как и в прошлом году, прошу подготовить раздел годового отчёта комитета "
            "\"Информатизация и цифровая трансформация\" за 2025 год: итоги, показатели, "
            "закупки оборудования. Срок - до 1 марта.\n\n"
            "Петров Н.С., отдел анализа и отчётности",
            "thebat", "koi8-r", "quoted-printable",
        ),
        "The Bat!, KOI8-R в quoted-printable: раздел годового отчёта комитета",
        8,
    ),
    _Sample(
        MailSpec(
            "Жукова Анна", "a.zhukova@committee.example",
            "Автоматический ответ: Плановые работы на почтовом сервере",
            "Здравствуйте!\n\n"
            "Я в отпуске до 24 числа, доступа к почте не имею. "
            "По срочным вопросам обращайтесь к С. Ефимовой, вн. 2-31.",
            "outlook16", "utf-8", "quoted-printable",
            extra_headers=(
                ("Auto-Submitted", "auto-replied"),
                ("X-Auto-Response-Suppress", "All"),
            ),
        ),
        "Автоответ Outlook (Auto-Submitted: auto-replied): на него не отвечают",
        None,
    ),
    _Sample(
        MailSpec(
            "ООО «Оргтехсервис»", "sales@orgtehservis.example",
            "Заправка картриджей со скидкой 20%",
            "Уважаемые коллеги!\n\n"
            "Предлагаем заправку и восстановление картриджей с выездом в офис. "
            "Для государственных учреждений скидка 20% до конца месяца.\n\n"
            "Отдел продаж ООО «Оргтехсервис»",
            "yandex", "utf-8", "base64", html="alternative",
        ),
        "Рекламное письмо с внешнего адреса (не из домена committee.example)",
        None,
    ),
)


def sample_messages(now: datetime | None = None) -> list[DemoMail]:
    """Build the first batch of demo mail, sent a few minutes apart before `now`.

    `now` defaults to the current Moscow time; the same `now` gives the same bytes.
    """
    sent_at = now if now is not None else datetime.now(MOSCOW)
    first = sent_at - timedelta(minutes=7 * len(_SAMPLES))
    stamp = first.strftime("%Y%m%d%H%M%S")
    return [
        DemoMail(
            raw=build_message(
                sample.spec, to=IT_MAILBOX, sent_at=first + timedelta(minutes=7 * index),
                seed="%s-%d" % (stamp, index),
            ),
            description=sample.description,
            expected_process=sample.expected_process,
        )
        for index, sample in enumerate(_SAMPLES)
    ]


def reply_to(
    ticket_number: str, original_message_id: str, ack_message_id: str,
    *, now: datetime | None = None,
) -> bytes:
    """Build the first requester's reply to the acknowledgement of her ticket.

    The reply quotes the acknowledgement, carries `[ticket_number]` in the
    subject and threads with In-Reply-To (the acknowledgement) and References.
    """
    first = _SAMPLES[0].spec
    text = (
        "Добрый день!\n\n"
        "Уточняю: после перезагрузки МФУ копирование и печать работают, "
        "а сканирование в папку по-прежнему выдаёт ошибку. Модель Kyocera ECOSYS M2540dn.\n\n"
        "О.В. Лебедева\n\n"
        "-----Исходное сообщение-----\n"
        "От: Отдел ИТ <it@committee.example>\n"
        "Тема: [%s] %s\n\n"
        "Ваше обращение зарегистрировано под номером %s.\n"
    ) % (ticket_number, first.subject, ticket_number)
    spec = MailSpec(
        first.sender_name, first.sender_address,
        "Re: [%s] %s" % (ticket_number, first.subject),
        text, first.client, first.charset, first.encoding, html="alternative",
    )
    sent_at = now if now is not None else datetime.now(MOSCOW)
    return build_message(
        spec, to=IT_MAILBOX, sent_at=sent_at,
        seed="reply-%s-%s" % (ticket_number, ack_message_id),
        in_reply_to=ack_message_id, references=(original_message_id, ack_message_id),
    )


def rating_reply(answer_subject: str, answer_message_id: str, *, now: datetime | None = None) -> bytes:
    """Build the first requester's reply to the staff answer: a rating of 5 with a short comment.

    The reply quotes the answer below an Outlook separator and threads with
    In-Reply-To, as the rating request in the answer mail asks.
    """
    first = _SAMPLES[0].spec
    text = (
        "5, спасибо, всё работает\n\n"
        "-----Исходное сообщение-----\n"
        "От: Отдел ИТ <it@committee.example>\n"
        "Тема: %s\n\n"
        "Оцените, пожалуйста, ответ от 1 до 5.\n"
    ) % answer_subject
    spec = MailSpec(
        first.sender_name, first.sender_address, "Re: %s" % answer_subject,
        text, first.client, first.charset, first.encoding, html="alternative",
    )
    sent_at = now if now is not None else datetime.now(MOSCOW)
    return build_message(
        spec, to=IT_MAILBOX, sent_at=sent_at, seed="rating-%s" % answer_message_id,
        in_reply_to=answer_message_id, references=(answer_message_id,),
    )
