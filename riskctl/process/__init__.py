"""Process definitions: format, validation, templates, versions."""
