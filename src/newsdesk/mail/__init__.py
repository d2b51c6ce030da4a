"""An issue mailed: the message, pre-send checks, subscribers, the send ledger, SMTP."""
