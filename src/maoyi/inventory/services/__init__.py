"""Writes to the stock ledger. `ledger` is the one service every document calls to move stock;
the stock documents (opening stock, stocktake, transfer, reversal) have their own modules."""
