DROP TABLE sync_push_receipts;
