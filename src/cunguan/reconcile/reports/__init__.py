"""The reserve-fund report set (R-B5) rendered from the rules' results: XLSX and PDF."""
