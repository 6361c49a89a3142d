"""Authentication: passwords, sessions (Flask-Login), bearer API tokens, login throttling."""
