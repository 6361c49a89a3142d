"""Organisation: units, posts, people, post assignments, declared conflicts of interest."""
