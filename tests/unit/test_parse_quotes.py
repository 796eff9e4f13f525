"""Quote stripping: the new text of replies in the layouts Russian mail clients produce."""

from __future__ import annotations

import pytest

from mailbot.parse import parse_message
from mailbot.parse.html import html_to_lines
from mailbot.parse.quotes import is_forward_subject, strip_quotes
from mailbot.parse.textlines import TextLines

HISTORY = "Ваше обращение зарегистрировано под номером IT-2026-00042."


def reply_of(text: str, *, forwarded: bool = False) -> str:
    return strip_quotes(TextLines.from_plain(text), forwarded=forwarded)


@pytest.mark.parametrize(
    "header",
    [
        "От: Служба ИТ [mailto:it@committee.example]\nОтправлено: 12 марта 2026 г. 9:41\nКому: Иванов\nТема: тест",
        "From: Служба ИТ <it@committee.example>\nSent: Thursday, March 12, 2026 4:55 PM\nTo: Ivan\nSubject: test",
        "От:\t\"Служба ИТ\" <it@committee.example>\nКому:\tИванов\nДата:\t12.03.2026 13:10\nТема:\tтест",
        "-----Original Message-----\nFrom: it@committee.example\nSent: Thursday\nSubject: test",
        "-----Исходное сообщение-----",
        "________________________________\nОт: Служба ИТ\nОтправлено: 11 марта\nКому: Иванов\nТема: тест",
        "12.03.2026 11:48, Служба ИТ пишет:",
        "12 марта 2026 г., в 15:05, Служба ИТ <it@committee.example> написал(а):",
        "On Thu, Mar 12, 2026 at 2:02 PM Служба ИТ <it@committee.example>\nwrote:",
    ],
)
def test_top_posted_history_removed(header: str) -> None:
    text = "Принтер не печатает.\n\n%s\n\n%s\nПлановый срок: 13.04.2026." % (header, HISTORY)
    reply = reply_of(text)
    assert reply == "Принтер не печатает."


@pytest.mark.parametrize(
    "header",
    [
        "чт, 12 мар. 2026 г. в 14:02, Служба ИТ <it@committee.example>:",
        "Четверг, 12 марта 2026, 16:40 +03:00 от Служба ИТ <it@committee.example>:",
        "12.03.2026, 13:58, \"Служба ИТ\" <it@committee.example>:",
        "Вы писали 12 марта 2026 г., 11:02:17:",
    ],
)
def test_prefixed_quote_after_header_removed(header: str) -> None:
    text = "Всё заработало.\n\n%s\n>%s\n> Громова Алина" % (header, HISTORY)
    assert reply_of(text) == "Всё заработало."


def test_interleaved_answers_kept() -> None:
    text = (
        "12.03.2026 11:48, Служба ИТ пишет:\n> Каким браузером вы пользуетесь?\n\nЯндекс Браузер.\n\n"
        "> Какой сертификат выбираете?\n\nСертификат руководителя.\n\n-- \nСидоров С.А.\nотдел закупок"
    )
    assert reply_of(text) == "Яндекс Браузер.\n\nСертификат руководителя."


def test_bottom_posted_initials_prefix() -> None:
    text = "Здравствуйте.\n\nВы писали 12 марта 2026 г.:\n\nСИ> %s\nСИ> --\n\nСканер не работает.\n\n-- \nПетров" % HISTORY
    assert reply_of(text) == "Здравствуйте.\n\nСканер не работает."


def test_signature_above_quote_removed() -> None:
    text = "Прошу добавить права.\n\n-- \nНикитина Г.Ф.\nтел. 10-45\n\n12.03.2026 16:10, Служба ИТ пишет:\n> %s" % HISTORY
    assert reply_of(text) == "Прошу добавить права."


def test_mobile_footer_removed() -> None:
    assert reply_of("Печатать нужно срочно.\n\nОтправлено с iPhone") == "Печатать нужно срочно."
    assert reply_of("Готово.\n\nSent from my iPhone") == "Готово."


def test_everything_stripped_keeps_whole_text() -> None:
    text = "> только цитата\n> ещё строка"
    assert reply_of(text) == text


def test_unrelated_date_colon_line_kept() -> None:
    text = "Совещание 17.03.2026 в 10:00:\nподключить проектор и микрофоны."
    assert reply_of(text) == text


def test_forward_keeps_forwarded_request() -> None:
    text = (
        "Прошу помочь сотруднику.\n\n________________________________\nОт: Соколов\nОтправлено: 11 марта\n"
        "Кому: Кузнецова\nТема: почта\n\nПерестала синхронизироваться почта."
    )
    assert "Перестала синхронизироваться почта." in reply_of(text, forwarded=True)
    assert "Перестала синхронизироваться почта." not in reply_of(text, forwarded=False)


def test_forward_block_kept_without_forward_subject() -> None:
    text = (
        "Пересылаю заявку.\n\n-------- Пересылаемое сообщение --------\nОт кого: Егоров\nКому: Фёдоров\n"
        "Дата: 11 марта 2026\nТема: доступ\n\nНужен доступ на запись к папке."
    )
    assert "Нужен доступ на запись к папке." in reply_of(text)


def test_html_blockquote_and_outlook_div() -> None:
    html = (
        "<div>Доступ появился, спасибо.</div><div>-- </div><div>Волкова</div>"
        "<div>12.03.2026, 13:58, &quot;Служба ИТ&quot; &lt;it@committee.example&gt;:</div>"
        "<blockquote><div>%s</div></blockquote>" % HISTORY
    )
    assert strip_quotes(html_to_lines(html)) == "Доступ появился, спасибо."
    outlook = (
        "<p>Коллега из каб. 412 не может открыть папку.</p>"
        '<div id="divRplyFwdMsg"><b>De:</b> Служба ИТ<br><b>Envoyé:</b> jeudi</div><p>%s</p>' % HISTORY
    )
    assert strip_quotes(html_to_lines(outlook)) == "Коллега из каб. 412 не может открыть папку."


@pytest.mark.parametrize(
    ("subject", "forwarded"),
    [("FW: заявка", True), ("Fwd: заявка", True), ("Пересл.: заявка", True), ("RE: FW: заявка", False), ("Re: заявка", False)],
)
def test_forward_subjects(subject: str, forwarded: bool) -> None:
    assert is_forward_subject(subject) is forwarded


def test_reply_text_through_parse_message() -> None:
    raw = (
        "From: ivan@committee.example\r\nSubject: RE: [IT-2026-00042] printer\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Не печатает.\r\n\r\nОт: Служба ИТ\r\nОтправлено: 12 марта\r\nКому: Иванов\r\nТема: printer\r\n\r\n%s\r\n" % HISTORY
    ).encode()
    parsed = parse_message(raw)
    assert parsed.reply_text == "Не печатает."
    assert HISTORY in parsed.body_text
