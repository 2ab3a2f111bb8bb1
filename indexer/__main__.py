from indexer.cli import run

run()
