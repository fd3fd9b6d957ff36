"""Receipt renderers for the shell: ESC/POS bytes for the printer, PNG preview.

The model, layout and plain-text renderer are pure and live in kiosk.domain.receipt.
"""
