"""Settings and editable language resources shared by the indexer and the bot."""
