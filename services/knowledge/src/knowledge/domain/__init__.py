"""Knowledge's rules as pure functions: who edits and reads what (`articles`), safe
Markdown (`markdown`), the order of suggestions (`ranking`), first-contact resolution
(`fcr`) and deflections (`deflection`)."""
