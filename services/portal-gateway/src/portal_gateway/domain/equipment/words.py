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

RU.update(
    {
        # pages
        "Equipment": "Оборудование",
        "Import a list": "Импортировать список",
        "Organization": "Организация",
        "Serial number, model or manufacturer": "Серийный номер, модель или производитель",
        "Serial number": "Серийный номер",
        "Device": "Устройство",
        "Location": "Расположение",
        "Warranty until": "Гарантия до",
        "Service contract until": "Сервисный договор до",
        "Next maintenance": "Следующее обслуживание",
        "in force": "действует",
        "ended": "истекла",
        "No equipment matches.": "Подходящего оборудования нет.",
        "Under warranty": "На гарантии",
        "No warranty": "Без гарантии",
        "Under service contract": "На сервисном договоре",
        "No service contract": "Без сервисного договора",
        "Manufacturer": "Производитель",
        "Model": "Модель",
        "Installed on": "Дата установки",
        "Maintenance interval": "Интервал обслуживания",
        "every {months} months": "каждые {months} мес.",
        "Last maintenance": "Последнее обслуживание",
        "Notes": "Заметки",
        "Notices sent": "Отправленные уведомления",
        "Sent": "Отправлено",
        "Notice": "Уведомление",
        "Date": "Дата",
        "Days left": "Осталось дней",
        "No notice has been sent about this device yet.": (
            "Уведомлений об этом устройстве ещё не было."
        ),
        "Import equipment": "Импорт оборудования",
        "A CSV file (UTF-8; comma, semicolon or tab) with a header naming the columns: "
        "model, manufacturer, serial_number (required), location, installed_on, "
        "warranty_until, service_contract_until, maintenance_interval_months, "
        "last_maintenance_on, notes. Dates as YYYY-MM-DD. Rows with errors are reported and "
        "not imported; a malformed file imports nothing.": (
            "CSV-файл (UTF-8; запятая, точка с запятой или табуляция) с заголовком, "
            "называющим столбцы: model, manufacturer, serial_number (обязательны), location, "
            "installed_on, warranty_until, service_contract_until, "
            "maintenance_interval_months, last_maintenance_on, notes. Даты — ГГГГ-ММ-ДД. "
            "Строки с ошибками перечисляются и не импортируются; испорченный файл не "
            "импортируется совсем."
        ),
        "Choose an organization": "Выберите организацию",
        "CSV file": "CSV-файл",
        "Import": "Импортировать",
        "Imported: {accepted}; rejected: {rejected}": (
            "Импортировано: {accepted}; отклонено: {rejected}"
        ),
        "Line": "Строка",
        "Column": "Столбец",
        "Reason": "Причина",
    }
)

RU["a device of this list was recorded meanwhile; import it again"] = (
    "устройство из этого списка только что зарегистрировали; импортируйте список ещё раз"
)

RU.update(
    {
        # incidents naming equipment
        "no device of the organization has this serial number": (
            "у организации нет устройства с таким серийным номером"
        ),
        "several devices have this serial number; name it by id": (
            "этот серийный номер у нескольких устройств; укажите устройство по идентификатору"
        ),
        "not a device of the requester's organization": (
            "устройство не принадлежит организации заявителя"
        ),
        "Equipment at fault": "Неисправное оборудование",
        "Serial number or device": "Серийный номер или устройство",
        "none": "нет",
        "Under warranty on the registration date": "На гарантии на дату регистрации",
        "Not under warranty on the registration date": "Не на гарантии на дату регистрации",
        "Under service contract on the registration date": (
            "На сервисном договоре на дату регистрации"
        ),
        "Not under service contract on the registration date": (
            "Не на сервисном договоре на дату регистрации"
        ),
        "Other incidents of this device": "Другие инциденты этого устройства",
        "No other incident names this device.": "Других инцидентов у этого устройства нет.",
    }
)
