"""Knowledge's handlers by area: the facts it keeps (`facts`), articles (`articles`),
suggestions and feedback (`suggestions`), the report (`report`)."""
