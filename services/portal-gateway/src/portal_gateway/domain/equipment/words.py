"""The equipment area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "no such equipment": "такого оборудования нет",
    "no such organization": "такой организации нет",
    "staff only": "только для сотрудников",
    "is required": "обязательное поле",
    "is recorded already": "уже зарегистрирован",
    "must not be before the installation date": "не может быть раньше даты установки",
    "managers, heads and admins only": "только для менеджеров, руководителей и администраторов",
    "warranty ends": "окончание гарантии",
    "service contract ends": "окончание сервисного договора",
    "maintenance due": "плановое обслуживание",
    "another device": "другое устройство",
}

RU.update(
    {
        # the import's file and rows
        "the file is larger than {limit} bytes": "файл больше {limit} байт",
        "the file is not UTF-8 text": "файл — не текст в кодировке UTF-8",
        "the file is empty": "файл пуст",
        "line {line} cannot be read: {error}": "строку {line} не прочитать: {error}",
        "the file has a header but no rows": "в файле есть заголовок, но нет строк",
        "unknown column {column}; the columns are {columns}": (
            "неизвестный столбец {column}; столбцы: {columns}"
        ),
        "the column {column} appears twice": "столбец {column} указан дважды",
        "the column {column} is missing": "нет столбца {column}",
        "more than {limit} rows": "больше {limit} строк",
        "has {cells} cells; the header has {columns}": (
            "ячеек в строке: {cells}, а в заголовке: {columns}"
        ),
        "repeats line {line} of this file": "повторяет строку {line} этого файла",
        "not a date (write YYYY-MM-DD)": "не дата (пишите ГГГГ-ММ-ДД)",
        "not a whole number": "не целое число",
        "out of range": "вне допустимых пределов",
        "too long": "слишком длинно",
        "must lie between the years 1970 and 2200": "год должен быть от 1970 до 2200",
        "invalid value": "недопустимое значение",
        "send the list as a CSV file": "пришлите список CSV-файлом",
        "the file is malformed; nothing was imported": "файл испорчен; ничего не импортировано",
    }
)

RU["not an id"] = "не идентификатор"
