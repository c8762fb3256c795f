"""Reconciliation (对账) and customer reserve funds (客户备付金): bank statements in, matched
against the books, breaks worked to a resolution, the daily checks and identities of R-B2/R-B3
and the reserve-fund report set (R-B5). It reads the ledger and custody; it changes balances only
through ledger transactions (adjustments approved by a checker, returned withdrawals reversed
through custody's handlers).

Layers, inside (checked by import-linter): ``routes | cli`` → ``handlers`` → ``store`` →
``reports | formats`` → ``rules``. ``rules`` is pure; ``formats`` parse bytes into the rules'
records; ``reports`` render the rules' results to XLSX and PDF.
"""
