"""The eight IT-support processes of the committee's procedure."""

from __future__ import annotations

import enum


class Process(enum.IntEnum):
    """One IT-support process; the value is the code the procedure gives it."""

    HARDWARE = 1
    INFORMATION_REQUEST = 2
    DEPARTMENT_INFORMATION = 3
    INFORMATION_SECURITY = 4
    INFORMATION_SYSTEMS_HELP = 5
    SIGNATURE_CERTIFICATES = 6
    NEWCOMER_WORKSTATION = 7
    REPORTING = 8

    @property
    def title_ru(self) -> str:
        """The process as the committee's procedure names it."""
        return PROCESS_TITLES_RU[self]


PROCESS_TITLES_RU: dict[Process, str] = {
    Process.HARDWARE: (
        "Техническая поддержка: организация работ по поддержанию "
        "работоспособности компьютеров и оргтехники"
    ),
    Process.INFORMATION_REQUEST: "Запрос информации от внутреннего клиента",
    Process.DEPARTMENT_INFORMATION: (
        "Предоставление информации по запросам структурных подразделений Комитета"
    ),
    Process.INFORMATION_SECURITY: "Техническая поддержка: защита информации",
    Process.INFORMATION_SYSTEMS_HELP: (
        "Оказание помощи при эксплуатации информационных систем внутренними клиентами"
    ),
    Process.SIGNATURE_CERTIFICATES: "Обновление сертификатов ключей электронной подписи",
    Process.NEWCOMER_WORKSTATION: (
        "Настройка автоматизированного рабочего места для новых внутренних клиентов"
    ),
    Process.REPORTING: "Составление отчетной информации",
}
