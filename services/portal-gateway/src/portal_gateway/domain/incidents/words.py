"""The incident list's words in Russian (English is the key itself)."""

from __future__ import annotations

RU: dict[str, str] = {
    "{count} open": "открыто: {count}",
    "{count} open of priority {priority}": "открыто с приоритетом «{priority}»: {count}",
    "Each number counts the open incidents of the category and its subcategories; "
    "the coloured ones by priority.": (
        "Числа — открытые инциденты категории и её подкатегорий; цветные — по приоритетам."
    ),
}
