"""Word lists the normaliser uses: look-alike letters, English terms, transliteration."""

from __future__ import annotations

# Latin letters that render like Cyrillic ones; mixed-script words are folded
# to the script of their majority ("пpинтер" with a Latin "p").
LATIN_TO_CYRILLIC: dict[str, str] = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м",
    "o": "о", "p": "р", "t": "т", "x": "х", "y": "у",
}
CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "в": "b", "с": "c", "е": "e", "н": "h", "к": "k", "м": "m",
    "о": "o", "р": "p", "т": "t", "х": "x", "у": "y",
}

# English words employees mix into Russian mail, mapped to the Russian lemma
# the model learned from Russian text. Product names (outlook, excel, vpn)
# stay as they are because the corpus writes them in Latin too.
ENGLISH_TERMS: dict[str, str] = {
    "access": "доступ",
    "account": "учетка",
    "address": "адрес",
    "admin": "администратор",
    "administrator": "администратор",
    "annual": "годовой",
    "antivirus": "антивирус",
    "attachment": "вложение",
    "audit": "проверка",
    "backup": "копия",
    "blocked": "заблокировать",
    "blue": "синий",
    "broken": "сломаться",
    "bug": "ошибка",
    "cable": "кабель",
    "camera": "камера",
    "cannot": "не",
    "cant": "не",
    "cartridge": "картридж",
    "certificate": "сертификат",
    "computer": "компьютер",
    "copier": "копир",
    "court": "суд",
    "crash": "сбой",
    "data": "данные",
    "deadline": "срок",
    "department": "отдел",
    "document": "документ",
    "documents": "документ",
    "drive": "диск",
    "driver": "драйвер",
    "email": "почта",
    "employee": "сотрудник",
    "error": "ошибка",
    "expire": "истечь",
    "expired": "истечь",
    "expires": "истекать",
    "export": "выгрузка",
    "fax": "факс",
    "folder": "папка",
    "form": "форма",
    "hire": "принять",
    "how": "как",
    "infected": "заразить",
    "install": "установить",
    "internet": "интернет",
    "jam": "замятие",
    "key": "ключ",
    "keyboard": "клавиатура",
    "laptop": "ноутбук",
    "leak": "утечка",
    "link": "ссылка",
    "list": "список",
    "locked": "заблокировать",
    "login": "логин",
    "mail": "почта",
    "meeting": "совещание",
    "mfp": "мфу",
    "monitor": "монитор",
    "monitoring": "мониторинг",
    "mouse": "мышь",
    "network": "сеть",
    "new": "новый",
    "newcomer": "новый",
    "not": "не",
    "notebook": "ноутбук",
    "paper": "бумага",
    "password": "пароль",
    "pc": "компьютер",
    "permission": "доступ",
    "permissions": "доступ",
    "phishing": "фишинг",
    "phone": "телефон",
    "pin": "пин",
    "print": "печать",
    "printer": "принтер",
    "printing": "печать",
    "projector": "проектор",
    "prosecutor": "прокуратура",
    "quarterly": "ежеквартальный",
    "reissue": "перевыпуск",
    "renew": "продлить",
    "report": "отчет",
    "request": "заявка",
    "reset": "сбросить",
    "rights": "право",
    "scan": "сканировать",
    "scanner": "сканер",
    "screen": "экран",
    "server": "сервер",
    "share": "папка",
    "sign": "подписать",
    "signature": "подпись",
    "slow": "медленно",
    "spam": "спам",
    "statistics": "статистика",
    "status": "статус",
    "suspicious": "подозрительный",
    "template": "шаблон",
    "thank": "спасибо",
    "thanks": "спасибо",
    "ticket": "заявка",
    "token": "токен",
    "toner": "тонер",
    "training": "обучение",
    "unlock": "разблокировать",
    "update": "обновление",
    "ups": "ибп",
    "virus": "вирус",
    "where": "где",
    "wifi": "wi-fi",
    "workstation": "компьютер",
}

# Function words of English mail that name no topic. They are dropped like
# Russian prepositions, and some would otherwise transliterate into Russian
# words ("my" into "мы").
ENGLISH_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "has",
    "have", "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "please", "so",
    "the", "this", "to", "was", "we", "with", "you", "your", "hi", "hello", "regards",
})

# Product and file-type names that stay Latin. Listing them skips the
# transliteration candidates, which took up to 0.4 ms a word on a 2-core
# AMD EPYC with pymorphy3 2.0.6.
LATIN_NAMES = frozenset({
    "acer", "adobe", "asus", "browser", "chrome", "dell", "directum", "docx", "excel",
    "firefox", "google", "hp", "kaspersky", "kyocera", "lenovo", "microsoft", "office",
    "offline", "online", "outlook", "pantum", "pdf", "powerpoint", "ricoh", "samsung",
    "teams", "telegram", "vpn", "whatsapp", "windows", "word", "xls", "xlsx", "zoom",
})

# Russian abbreviations and slang typed in Latin letters, which the
# letter-by-letter transliteration gets wrong or the dictionary does not know.
TRANSLIT_TERMS: dict[str, str] = {
    "ats": "атс", "ecp": "эп", "ep": "эп", "eis": "еис", "eds": "эп", "gis": "гис",
    "gzhn": "гжн", "medo": "мэдо", "mfu": "мфу", "sed": "сэд", "uc": "уц", "zhkh": "жкх",
    "uchetka": "учетка", "uchetki": "учетка", "uchetku": "учетка", "uchetnaya": "учетный",
    "komp": "компьютер", "kompa": "компьютер", "kompe": "компьютер", "nout": "ноутбук",
    "vinda": "windows", "parolya": "пароль", "rutokena": "рутокен", "kriptopro": "криптопро",
}

# Multi-letter transliteration first, so "sh" wins over "s" + "h".
TRANSLIT_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("tsya", "тся"), ("cia", "ция"), ("cii", "ции"), ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"),
    ("kh", "х"), ("ts", "ц"), ("yu", "ю"), ("ya", "я"), ("yo", "е"),
    ("ye", "е"), ("ju", "ю"), ("ja", "я"),
)
TRANSLIT_LETTERS: dict[str, str] = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г",
    "h": "х", "i": "и", "j": "й", "k": "к", "l": "л", "m": "м", "n": "н",
    "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т", "u": "у",
    "v": "в", "w": "в", "x": "кс", "y": "ы", "z": "з", "'": "ь",
}

# Abbreviations written several ways that should count as one feature.
SYNONYMS: dict[str, str] = {
    "эцп": "эп",
    "квэп": "эп",
    "1c": "1с",
    "rutoken": "рутокен",
    "cryptopro": "криптопро",
    "kriptopro": "криптопро",
    "vipnet": "випнет",
    "сэд": "сэд",
    "учетный": "учетка",
    "учетки": "учетка",
    "учеткать": "учетка",
    "учеткий": "учетка",
    "мфу": "мфу",
    "ноут": "ноутбук",
    "комп": "компьютер",
    "пк": "компьютер",
    "винда": "windows",
    "виндовс": "windows",
}

