"""The survey part of `mailbot demo`: invitations by mail, then Form No. 1 filled in over HTTP.

The demo's daemon serves the web pages itself (MAILBOT_WEB_ENABLED). Two
invited employees open the link from their invitation in the SMTP sink and
post their answers with the standard library's HTTP client, as a browser
without JavaScript would.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser

from mailbot.app import Application
from mailbot.demo.polling import wait_until
from mailbot.demo.servers import SmtpSink
from mailbot.cli.russian import count_of
from mailbot.survey import form
from mailbot.survey.campaign import campaign_status, start_campaign

HTTP_TIMEOUT_SECONDS = 10.0
WEB_START_SECONDS = 10.0
INVITATION_SUBJECT = "Опрос об информационно-техническом обеспечении Комитета"


@dataclasses.dataclass(frozen=True)
class DemoAnswers:
    """One respondent's Form No. 1, where each Q3 row missing from `q3` gets `q3_default`."""

    q1: str
    q3_default: str
    q3: dict[str, str]
    q4: dict[str, str]
    q2_problems: dict[str, str]
    q2_not_engaged: tuple[str, ...]
    q5: str


DEMO_ANSWERS = (
    DemoAnswers(
        q1="rather_satisfied",
        q3_default="fully_satisfied",
        q3={"hr_portal": "rather_dissatisfied", "other_bodies": "hard_to_say"},
        q4={"hr_portal": "Кадровый портал по утрам открывается по нескольку минут."},
        q2_problems={"replies": "Большие вложения в СЭД загружаются медленно."},
        q2_not_engaged=("regulation",),
        q5="Заменить старые принтеры в отделе.",
    ),
    DemoAnswers(
        q1="rather_satisfied",
        q3_default="rather_satisfied",
        q3={"hardware": "fully_dissatisfied", "internet": "fully_satisfied"},
        q4={"hardware": "Компьютер долго включается, монитор мерцает."},
        q2_problems={},
        q2_not_engaged=("regulation", "consulting"),
        q5="",
    ),
)


@dataclasses.dataclass(frozen=True)
class SurveyOutcome:
    invited: int
    answered: int
    responses: int


def run_survey(application: Application, smtp: SmtpSink, report: Callable[[str], None]) -> SurveyOutcome:
    """Start this year's survey, let two invited employees answer on the web and count the stored responses."""
    settings = application.context.settings
    today = datetime.datetime.now(settings.tz).date()
    wait_for_web(settings.web_base_url_effective)

    run = start_campaign(
        application.session_factory, settings, year=today.year, until=None, employees=None, today=today
    )
    invited = len(run.invited)
    report(f"Запущен опрос за {today.year} год, приглашено по почте: {_employees(invited)}")
    wait_until(lambda: len(invitations(smtp)) >= invited)

    links = [survey_link(message, settings.web_base_url_effective) for message in invitations(smtp)]
    answered = 0
    for link, answers in zip(links, DEMO_ANSWERS):
        answer_form(link, answers)
        answered += 1
    report(f"Заполнили анкету по ссылке из приглашения: {_employees(answered)}")

    status = campaign_status(application.session_factory, year=today.year, today=today)
    report(f"Получено ответов на анкету: {status.responses}")
    return SurveyOutcome(invited, answered, status.responses)


def _employees(count: int) -> str:
    return count_of(count, "сотрудник", "сотрудника", "сотрудников")


def wait_for_web(base_url: str) -> None:
    """Return once the daemon's web server responds to /healthz, or raise TimeoutError."""
    def responds() -> bool:
        try:
            status, _ = http_get(f"{base_url}/healthz")
        except OSError:
            return False
        return status == 200

    wait_until(responds, timeout=WEB_START_SECONDS)


def invitations(smtp: SmtpSink) -> list[EmailMessage]:
    """Return the survey invitations the sink received, in arrival order."""
    parsed = [BytesParser(policy=email.policy.default).parsebytes(message.raw) for message in smtp.messages]
    return [message for message in parsed if str(message["Subject"]).startswith(INVITATION_SUBJECT)]


def survey_link(invitation: EmailMessage, base_url: str) -> str:
    """Return the personal Form No. 1 link from the plain-text part of an invitation."""
    body = invitation.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = re.search(re.escape(base_url) + r"/survey/\S+", text)
    if found is None:
        raise ValueError(f"no survey link in invitation {invitation['Message-ID']}")
    return found.group(0)


def answer_form(link: str, answers: DemoAnswers) -> None:
    """Open the form at `link` and post `answers`, or raise RuntimeError unless the thank-you page comes back."""
    status, page = http_get(link)
    if status != 200 or form.TITLE not in page:
        raise RuntimeError(f"survey form page returned HTTP {status}")

    status, page = http_post(link, posted_fields(answers))
    if status != 200 or form.CLOSING_LINE not in page:
        raise RuntimeError(f"survey answers returned HTTP {status} instead of the thank-you page")


def posted_fields(answers: DemoAnswers) -> dict[str, str]:
    """Return the fields a browser posts for `answers`, named as mailbot.survey.responses reads them."""
    fields = {"q1": answers.q1, "q5": answers.q5}
    for row in form.Q2_ROWS:
        fields[f"q2_{row.key}_text"] = answers.q2_problems.get(row.key, "")
        if row.key in answers.q2_not_engaged:
            fields[f"q2_{row.key}_not_engaged"] = "on"
    for row in form.Q3_ROWS:
        fields[f"q3_{row.key}"] = answers.q3.get(row.key, answers.q3_default)
    for key, text in answers.q4.items():
        fields[f"q4_{key}_text"] = text
    return fields


# Proxy settings from the environment are ignored: every request goes to the demo's own loopback server.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str) -> tuple[int, str]:
    return _open(urllib.request.Request(url))


def http_post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    body = urllib.parse.urlencode(fields).encode("ascii")
    return _open(urllib.request.Request(url, data=body, method="POST"))


def _open(request: urllib.request.Request) -> tuple[int, str]:
    """Return the status and text of a response, including an error status such as 422."""
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", errors="replace")
