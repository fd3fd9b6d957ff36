"""The screens, one module + one .kv file each. Importing this package registers them."""

from kiosk.ui.screens.attendant_panel import AttendantPanelScreen
from kiosk.ui.screens.attract import AttractScreen
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.basket import BasketScreen
from kiosk.ui.screens.member import MemberScreen
from kiosk.ui.screens.out_of_service import OutOfServiceScreen
from kiosk.ui.screens.paying import PayingScreen
from kiosk.ui.screens.payment_choice import PaymentChoiceScreen
from kiosk.ui.screens.produce import ProduceScreen
from kiosk.ui.screens.receipt import ReceiptScreen

__all__ = [
    "AttendantPanelScreen",
    "AttractScreen",
    "BasketScreen",
    "KioskScreen",
    "MemberScreen",
    "OutOfServiceScreen",
    "PayingScreen",
    "PaymentChoiceScreen",
    "ProduceScreen",
    "ReceiptScreen",
]
