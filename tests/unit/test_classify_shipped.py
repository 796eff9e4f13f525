"""The shipped model routes clear requests, written for this test, to their process."""

from __future__ import annotations

import pytest

from mailbot.classify import DEFAULT_THRESHOLD, Classifier, load_classifier
from mailbot.processes import Process

CLEAR_REQUESTS = [
    (Process.HARDWARE, "Принтер", "Принтер в кабинете 406 мнёт каждый лист и печатает с полосами. Кравец"),
    (Process.HARDWARE, "", "у меня погас монитор и не включается, лампочка не горит. каб 120"),
    (Process.INFORMATION_REQUEST, "Вопрос", "Подскажите, пожалуйста, кто из вашего отдела сегодня дежурит и по какому номеру звонить?"),
    (Process.INFORMATION_REQUEST, "Сетевой адрес", "Подскажите адрес сервера, где лежат шаблоны бланков Комитета?"),
    (Process.DEPARTMENT_INFORMATION, "Выгрузка для проверки",
     "Для ответа на запрос прокуратуры прошу выгрузить из СЭД список входящих жалоб по дому на ул. Лесной за 2023 год."),
    (Process.INFORMATION_SECURITY, "Пароль", "Забыла пароль от компьютера, учётка заблокировалась. Помогите войти."),
    (Process.INFORMATION_SECURITY, "Странное письмо",
     "Пришло письмо со ссылкой «подтвердите пароль от почты», похоже на фишинг. Не открывала."),
    (Process.INFORMATION_SYSTEMS_HELP, "СЭД", "В СЭД «Дело» не могу прикрепить файл к карточке документа, выдаёт ошибку."),
    (Process.INFORMATION_SYSTEMS_HELP, "Excel", "Как в Excel закрепить верхнюю строку таблицы, чтобы она не прокручивалась?"),
    (Process.SIGNATURE_CERTIFICATES, "Подпись", "Истекает сертификат электронной подписи в следующем месяце, как продлить?"),
    (Process.NEWCOMER_WORKSTATION, "Новый специалист",
     "С понедельника к нам выходит новый сотрудник, нужно подготовить компьютер, учётную запись и почту."),
    (Process.REPORTING, "Отчёт за квартал",
     "Прошу подготовить ежеквартальный отчёт ОИТ по установленной форме для сводного отчёта Комитета."),
]

NON_REQUESTS = [
    ("Re: Принтер", "Спасибо большое, всё починили!"),
    ("Автоматический ответ: Заявка", "Я в отпуске до 20 октября, по срочным вопросам — к Петровой."),
    ("Скидки на оргтехнику", "Только в этом месяце скидки до 40% на ноутбуки и МФУ! Отписаться от рассылки — по ссылке."),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


@pytest.mark.parametrize(("process", "subject", "body"), CLEAR_REQUESTS)
def test_clear_request_routes(classifier: Classifier, process: Process, subject: str, body: str) -> None:
    result = classifier.classify(subject, body)
    assert result.process == process, result.reasons


@pytest.mark.parametrize(("subject", "body"), NON_REQUESTS)
def test_non_request_is_none(classifier: Classifier, subject: str, body: str) -> None:
    result = classifier.classify(subject, body)
    assert result.process is None, result.ranking[:3]


def test_clear_request_above_threshold(classifier: Classifier) -> None:
    result = classifier.classify(*CLEAR_REQUESTS[0][1:])
    assert result.confidence >= DEFAULT_THRESHOLD


def test_ranking_covers_nine_labels(classifier: Classifier) -> None:
    result = classifier.classify("Монитор", "Не включается монитор")
    assert len(result.ranking) == 9
    assert result.ranking[0] == (result.process, result.confidence)
    assert sum(probability for _, probability in result.ranking) == pytest.approx(1.0)


def test_reasons_name_words(classifier: Classifier) -> None:
    result = classifier.classify("Рутокен", "Рутокен не видится, ПИН-код не принимает")
    assert any("рутокен" in reason for reason in result.reasons)


def test_version_matches_model(classifier: Classifier) -> None:
    result = classifier.classify("Монитор", "Не включается монитор")
    assert result.model_version == classifier.version
    assert len(classifier.version) == 16
