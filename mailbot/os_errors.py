"""Russian reasons for OSError, since the system's own `strerror` text is English.

It lives at the package's top because the command line, the survey file
reader and the web server all show these reasons.
"""

from __future__ import annotations

import errno

# Short Russian reasons for the errno values an operator meets most often.
OS_ERROR_REASONS_RU = {
    errno.ENOENT: "файл или папка не найдены",
    errno.EACCES: "нет прав доступа",
    errno.EPERM: "операция не разрешена",
    errno.EISDIR: "указана папка, а нужен файл",
    errno.ENOTDIR: "часть пути не является папкой",
    errno.ENOSPC: "на диске нет свободного места",
    errno.EADDRINUSE: "адрес уже занят другой программой",
    errno.EADDRNOTAVAIL: "такого адреса нет у этого компьютера",
}


def os_error_ru(error: OSError) -> str:
    """Return the reason of an OSError in Russian, since the system's own text is English.

    An errno outside OS_ERROR_REASONS_RU is named by its symbol, such as ENOMEM.
    """
    reason = OS_ERROR_REASONS_RU.get(error.errno) if error.errno is not None else None
    if reason is not None:
        return reason
    name = errno.errorcode.get(error.errno, str(error.errno)) if error.errno is not None else "без кода"
    return f"ошибка операционной системы ({name})"
