"""ISO 20022 messages (pacs.008, pacs.003, pacs.002, pacs.004, pacs.007, camt.056, camt.029,
camt.053): read and written, each checked against its official XSD; large files streamed."""
