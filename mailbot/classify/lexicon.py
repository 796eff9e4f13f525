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
    "antivirus": "антивирус",
    "blocked": "заблокировать",
    "bug": "ошибка",
    "cartridge": "картридж",
    "certificate": "сертификат",
    "computer": "компьютер",
    "crash": "сбой",
    "data": "данные",
    "error": "ошибка",
    "expired": "истечь",
    "folder": "папка",
    "form": "форма",
    "install": "установить",
    "internet": "интернет",
    "keyboard": "клавиатура",
    "laptop": "ноутбук",
    "list": "список",
    "locked": "заблокировать",
    "login": "логин",
    "mail": "почта",
    "email": "почта",
    "monitor": "монитор",
    "mouse": "мышь",
    "newcomer": "новый",
    "notebook": "ноутбук",
    "password": "пароль",
    "pc": "компьютер",
    "phishing": "фишинг",
    "phone": "телефон",
    "pin": "пин",
    "printer": "принтер",
    "report": "отчет",
    "reset": "сбросить",
    "scanner": "сканер",
    "server": "сервер",
    "signature": "подпись",
    "spam": "спам",
    "statistics": "статистика",
    "token": "токен",
    "update": "обновление",
    "virus": "вирус",
    "wifi": "wi-fi",
}

# Multi-letter transliteration first, so "sh" wins over "s" + "h".
TRANSLIT_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"),
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

