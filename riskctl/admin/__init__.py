"""The administrators' pages (系统管理)."""
