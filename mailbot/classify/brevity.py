"""A heuristic for requests too short to act on without a clarifying question."""

from __future__ import annotations

from mailbot.classify.normalize import MASK_TOKENS, normalize_message

# Lemmas that carry no subject matter: greetings, politeness, urgency and
# generic complaint words. "не работает" alone names no object to fix.
EMPTY_LEMMAS = frozenset({
    "добрый", "день", "утро", "вечер", "здравствуйте", "привет", "коллега", "уважаемый",
    "пожалуйста", "спасибо", "заранее", "срочно", "очень", "помочь", "помогать", "просить",
    "вопрос", "проблема", "не", "нет", "работать", "сделать", "надо", "нужно", "можно",
    "это", "мой", "у", "я", "меня", "вы", "ваш", "всё", "все", "опять", "снова", "тот",
    "этот", "там", "тут", "здесь", "так", "как", "что", "почему", "где", "re", "fw", "fwd",
    "тема", "письмо", "заявка", "см", "вложение", "подробность", "какой", "ок", "ладно",
})
MIN_CONTENT_LEMMAS = 2


def is_too_short(subject: str, body: str) -> bool:
    """Return True when subject and body together name fewer than two topic words.

    "принтер не печатает" passes (принтер, печатать), while "не работает",
    "помогите срочно" or "см. вложение" do not.
    """
    text = normalize_message(subject, body)
    content = {
        lemma
        for lemma in text.lemmas
        if lemma not in EMPTY_LEMMAS and lemma not in MASK_TOKENS and len(lemma) > 1
    }
    return len(content) < MIN_CONTENT_LEMMAS
