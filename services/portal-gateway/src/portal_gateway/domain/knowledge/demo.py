"""The demo's knowledge base: articles in Russian and English bound to the demo
categories, one of them internal (staff only). Each is sent once as a `SeedArticle`
under a fixed id (seed.py records it), so an editor's later changes stay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from desk_contracts.enums import Locale, Role, Visibility
from desk_contracts.messages import ArticleSpec, ArticleText, SeededShowing


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    categories: tuple[tuple[str, ...], ...]
    ru: tuple[str, str]
    en: tuple[str, str]
    keywords: tuple[str, ...] = ()
    visibility: Visibility = Visibility.PUBLIC

    def spec(self, category_id: Callable[[tuple[str, ...]], UUID]) -> ArticleSpec:
        return ArticleSpec(
            texts=(
                ArticleText(locale=Locale.RU, title=self.ru[0], body=self.ru[1]),
                ArticleText(locale=Locale.EN, title=self.en[0], body=self.en[1]),
            ),
            visibility=self.visibility,
            status="published",
            category_ids=tuple(category_id(path) for path in self.categories),
            keywords=self.keywords,
        )


DEMO_ARTICLES = (
    DemoArticle(
        "printer-invoices",
        (("fault", "hardware"),),
        (
            "Принтер не печатает счета",
            "1. Проверьте, что в лотке есть **бумага** и принтер включён.\n"
            "2. В программе откройте *Файл → Печать* и выберите принтер по умолчанию.\n"
            "3. Очистите очередь печати и отправьте счёт снова.",
        ),
        (
            "The printer does not print invoices",
            "1. Check that the tray has **paper** and the printer is on.\n"
            "2. In the program open *File → Print* and pick the default printer.\n"
            "3. Clear the print queue and send the invoice again.",
        ),
        ("принтер", "printer", "счёт", "invoice"),
    ),
    DemoArticle(
        "app-crash-start",
        (("fault", "software", "crash"),),
        (
            "Программа закрывается при запуске",
            "Обновите программу до последней версии. Если не помогло — удалите папку "
            "`%APPDATA%/Acme/cache` и запустите программу снова. Приложите к инциденту "
            "файл журнала из `%APPDATA%/Acme/logs`.",
        ),
        (
            "The application closes at start",
            "Update the application to the latest version. If that does not help, delete "
            "the folder `%APPDATA%/Acme/cache` and start it again. Attach the log file from "
            "`%APPDATA%/Acme/logs` to the incident.",
        ),
        ("вылет", "crash"),
    ),
    DemoArticle(
        "software-update",
        (("fault", "software"),),
        (
            "Ошибка после обновления программы",
            "Перезагрузите компьютер: часть обновления применяется при перезапуске. "
            "Если ошибка осталась, сообщите её текст и время, когда она появилась.",
        ),
        (
            "An error after updating the application",
            "Restart the computer: part of the update is applied at restart. If the error "
            "stays, tell us its text and when it appeared.",
        ),
        ("обновление", "update"),
    ),
    DemoArticle(
        "password-reset",
        (("consultation",),),
        (
            "Как сменить пароль",
            "Откройте **Профиль → Безопасность** и нажмите *Сменить пароль*. Пароль — не "
            "короче 12 символов.",
        ),
        (
            "How to change your password",
            "Open **Profile → Security** and press *Change password*. Use at least 12 characters.",
        ),
        ("пароль", "password"),
    ),
    DemoArticle(
        "export-report",
        (("consultation",),),
        (
            "Как выгрузить отчёт в Excel",
            "В окне отчёта нажмите *Экспорт* и выберите формат **XLSX**.",
        ),
        (
            "How to export a report to Excel",
            "In the report window press *Export* and choose **XLSX**.",
        ),
        ("отчёт", "report", "excel"),
    ),
    DemoArticle(
        "new-feature-order",
        (("order", "development"),),
        (
            "Как заказать доработку",
            "Опишите задачу: что должно получиться, для кого и к какому сроку. Приложите "
            "примеры документов. Мы пришлём оценку в течение трёх рабочих дней.",
        ),
        (
            "How to order a new feature",
            "Describe the task: what should come out, for whom and by when. Attach sample "
            "documents. We send an estimate within three working days.",
        ),
        ("доработка", "feature"),
    ),
    DemoArticle(
        "order-status",
        (("order",),),
        (
            "Где посмотреть статус заказа",
            "Все ваши заказы — в разделе **Инциденты** с категорией «Заказ».",
        ),
        (
            "Where to see an order's status",
            "All your orders are under **Incidents** with the category Order.",
        ),
    ),
    DemoArticle(
        "complaint-how",
        (("complaint",),),
        (
            "Как подать жалобу",
            "Выберите категорию «Жалоба» и опишите, что произошло. Жалобу сразу увидят "
            "ваш менеджер и руководитель группы.",
        ),
        (
            "How to file a complaint",
            "Choose the category Complaint and describe what happened. Your account "
            "manager and the group head see it at once.",
        ),
    ),
    DemoArticle(
        "printer-driver-internal",
        (("fault", "hardware"),),
        (
            "Принтер: переустановка драйвера удалённо",
            "Только для сотрудников: подключитесь к рабочему месту клиента, удалите "
            "драйвер через *Устройства и принтеры* и установите версию из общей папки.",
        ),
        (
            "Printer: reinstalling the driver remotely",
            "Staff only: connect to the client's workstation, remove the driver under "
            "*Devices and Printers* and install the version from the shared folder.",
        ),
        ("принтер", "printer", "драйвер", "driver"),
        Visibility.INTERNAL,
    ),
    DemoArticle(
        "slow-app",
        (("fault", "software"),),
        (
            "Программа работает медленно",
            "Закройте лишние окна и вкладки. Проверьте, что на диске свободно не меньше "
            "10 ГБ. Если медленно только один отчёт — сократите период.",
        ),
        (
            "The application is slow",
            "Close other windows and tabs. Check that the disk has at least 10 GB free. "
            "If only one report is slow, shorten its period.",
        ),
        ("медленно", "slow"),
    ),
)


def history(
    index: int,
    article: DemoArticle,
    category_id: Callable[[tuple[str, ...]], UUID],
    user_id: Callable[[str], UUID],
) -> tuple[SeededShowing, ...]:
    """A month of suggestions of the demo's `index`-th article, the same on every desk:
    shown to the demo's clients (to its agents when internal), some opened and
    answered, the share that helped differing from article to article, some leaving the
    form without filing, so the report has something to rank."""
    users = (
        (("anna", Locale.EN, Role.AGENT), ("boris", Locale.RU, Role.AGENT))
        if article.visibility is Visibility.INTERNAL
        else (("alice", Locale.EN, Role.CLIENT), ("carl", Locale.RU, Role.CLIENT))
    )
    helps_in_ten = (index * 3) % 9 + 1
    showings = []
    for n in range(6 + (index * 5) % 11):
        username, locale, role = users[n % 2]
        answered = n % 4 != 3
        helped = ((n * 7 + index) % 10 < helps_in_ten) if answered else None
        showings.append(
            SeededShowing(
                user_id=user_id(username),
                role=role,
                locale=locale,
                category_id=category_id(article.categories[0]),
                days_ago=(n * 7 + index) % 28,
                helped=helped,
                # Most readers who answered opened it first; a third of the clients it
                # helped left the form without filing.
                opened=answered and n % 5 != 4,
                solved=bool(helped) and role is Role.CLIENT and n % 3 == 0,
            )
        )
    return tuple(showings)
