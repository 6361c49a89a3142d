"""Backup and restore of a whole installation: the database and the stored files
(``flask riskctl backup DEST_DIR``, ``flask riskctl restore SRC_DIR``)."""
