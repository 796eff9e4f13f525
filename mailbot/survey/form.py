"""Form No. 1 as data: the questions, rows and options in the committee's wording.

The web form, the validation of answers and the reports all read the form
from here, so the wording lives in one place. Stored answers use the keys
below, never the Russian text, so a repaired typo in a label does not change
earlier years' data.

A stored answer (`SurveyResponse.answers`) has this shape:

    {
        "q1": "rather_satisfied",
        "q2": {"replies": {"text": "…", "not_engaged": false}, ...},
        "q3": {"hardware": "fully_satisfied", ...},
        "q4": {"software": {"text": "…", "unsure": false}, ...},
        "q5": "…",
    }

Every key of Q2 and Q3 rows is present; Q4 holds only the rows answered
negatively in Q3.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE = (
    "Форма № 1. Оценка удовлетворенности внутренних клиентов вопросами "
    "информационно-технического обеспечения в Комитете"
)
CLOSING_LINE = "Спасибо за сотрудничество!"


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


@dataclass(frozen=True)
class Row:
    key: str
    label: str


Q1_TEXT = "Насколько Вы в целом удовлетворены информационно-техническим обеспечением в Комитете?"
Q1_OPTIONS = (
    Choice("rather_satisfied", "Скорее удовлетворен"),
    Choice("rather_dissatisfied", "Скорее не удовлетворен"),
    Choice("hard_to_say", "Затрудняюсь ответить"),
)

Q2_TEXT = (
    "С какими проблемами Вы сталкиваетесь (сталкивались) в рамках своей профессиональной "
    "деятельности в рамках информационно-технического обеспечения деятельности Комитета?"
)
Q2_TEXT_COLUMN = "Проблемы (укажите)"
Q2_NOT_ENGAGED_COLUMN = "Не занимаюсь этим"
Q2_ROWS = (
    Row("replies", "Подготовка ответов на обращения, запросы, предложения"),
    Row("regulation", "Нормативно-правовая деятельность в Комитете"),
    Row("consulting", "Консультирование по вопросам взаимодействия с Комитетом"),
)

Q3_TEXT = (
    "Насколько Вы удовлетворены информационно-техническим сопровождением своей "
    "профессиональной деятельности?"
)
Q3_OPTIONS = (
    Choice("fully_satisfied", "Полностью удовлетворен"),
    Choice("rather_satisfied", "Скорее удовлетворен"),
    Choice("rather_dissatisfied", "Скорее не удовлетворен"),
    Choice("fully_dissatisfied", "Полностью не удовлетворен"),
    Choice("hard_to_say", "Затрудняюсь ответить"),
)
Q3_ROWS = (
    Row("hardware", "Технические средства (компьютеры, принтеры, копировальная техника, средства связи)"),
    Row("software", "Программное обеспечение"),
    Row("maintenance", "Обслуживание технических средств"),
    Row("document_flow", "Информационные системы документооборота и контроля исполнения поручений"),
    Row("hr_portal", "Кадровый портал"),
    Row("forms", "Автоматизация форм и шаблонов"),
    Row("reports", "Автоматизация отчетов"),
    Row("internet", "Автоматизация доступа к общедоступным информационным ресурсам (Интернет)"),
    Row("other_bodies", "Доступ к данным иных государственных органов и организаций"),
)
# The Q3 answers after which the respondent answers Q4 for that row.
Q3_NEGATIVE = frozenset({"rather_dissatisfied", "fully_dissatisfied"})

Q4_TEXT = (
    "Что вас не устраивает в информационно-техническом сопровождении Вашей "
    "профессиональной деятельности?"
)
Q4_TEXT_COLUMN = "Проблема (укажите)"
Q4_UNSURE_COLUMN = "Затрудняюсь ответить"
Q4_FOOTNOTE = (
    "Отвечают только те, кто выбрал «Скорее не удовлетворен» или «Полностью не удовлетворен» "
    "в вопросе 3, по этим строкам."
)

Q5_TEXT = (
    "Что необходимо изменить в информационно-техническом сопровождении Вашей "
    "профессиональной деятельности?"
)

# Satisfaction index of a Q3 row: the mean of these scores over the answers
# other than «Затрудняюсь ответить», divided by the top score and shown as
# 0-100 (100: everyone fully satisfied).
Q3_SCORES = {
    "fully_satisfied": 3,
    "rather_satisfied": 2,
    "rather_dissatisfied": 1,
    "fully_dissatisfied": 0,
}
Q3_TOP_SCORE = 3

MAX_TEXT_LENGTH = 4000


def label(choices: tuple[Choice, ...] | tuple[Row, ...], key: str) -> str:
    """Return the Russian label of `key` among `choices`."""
    for choice in choices:
        if choice.key == key:
            return choice.label
    raise KeyError(key)
