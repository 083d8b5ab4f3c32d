"""Generated test inputs shared by the test folders. Importable as `samples` because pytest puts
tests/ on sys.path when it imports tests/conftest.py (its default "prepend" import mode)."""
