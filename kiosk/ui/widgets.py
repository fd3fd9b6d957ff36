"""Widgets shared by the screens: touch buttons, the top bar, the PIN pad, the keypad.

Sizes are millimetres times the app's pixels-per-millimetre (`app.mm`), so a touch
target is the same physical size on a 7" 800x480 panel and a 21.5" full-HD monitor;
text scales with `app.fmm` (large-text mode). The rules are in widgets.kv.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

#: Every touch target is at least this big (issue 6: >= 9 mm); buttons use more.
MIN_TARGET_MM = 9.0


class TouchButton(Button):
    """A button a finger can hit: at least `MIN_TARGET_MM` each way (see widgets.kv)."""

    accent = BooleanProperty(False)


class KioskLabel(Label):
    """A label in the kiosk's font that wraps to its width."""

    scale = NumericProperty(1.0)


class TopBar(BoxLayout):
    """Store name, language switch, large-text switch, help and staff: on every screen."""


class PinPad(BoxLayout):
    """A PIN pad that keeps the digits locally and shows them masked.

    Dispatches `on_submit(pin)` on OK and forgets the digits; the PIN never leaves
    this widget except to the lane's action.
    """

    title = StringProperty("")
    digits = StringProperty("")
    max_digits = NumericProperty(8)

    __events__ = ("on_submit",)

    def press(self, key: str) -> None:
        if key == "clear":
            self.digits = ""
        elif key == "ok":
            pin, self.digits = self.digits, ""
            if pin:
                self.dispatch("on_submit", pin)
        elif len(self.digits) < self.max_digits:
            self.digits += key

    def on_submit(self, pin: str) -> None:
        pass


class PhoneKeypad(BoxLayout):
    """The member screen's number pad: reports every change as `on_typed(digits)`."""

    digits = StringProperty("")
    max_digits = NumericProperty(15)

    __events__ = ("on_typed", "on_submit")

    def press(self, key: str) -> None:
        if key == "clear":
            self.digits = ""
        elif key == "back":
            self.digits = self.digits[:-1]
        elif key == "ok":
            self.dispatch("on_submit", self.digits)
            return
        elif len(self.digits) < self.max_digits:
            self.digits += key
        self.dispatch("on_typed", self.digits)

    def on_typed(self, digits: str) -> None:
        pass

    def on_submit(self, digits: str) -> None:
        pass


class SearchKeyboard(BoxLayout):
    """Letters (pinyin initials, English names) and digits (PLU) for produce search."""

    text = StringProperty("")
    __events__ = ("on_text_changed",)
    ROWS = ("1 2 3 4 5 6 7 8 9 0", "Q W E R T Y U I O P", "A S D F G H J K L", "Z X C V B N M")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # Keys are made here rather than written out in the .kv: 36 identical rules.
        for row in self.ROWS:
            line = BoxLayout(spacing=self.spacing)
            for key in row.split():
                line.add_widget(self._key(key.lower(), key))
            if row.startswith("Z"):
                line.add_widget(self._key("back", "←"))
                line.add_widget(self._key("clear", "C"))
            self.add_widget(line)

    def _key(self, key: str, label: str) -> TouchButton:
        button = TouchButton(text=label)
        button.size_hint_y = 1  # rows share the keyboard's height (4 x 9.5 mm)
        button.bind(on_release=lambda _b: self.press(key))
        return button

    def press(self, key: str) -> None:
        if key == "back":
            self.text = self.text[:-1]
        elif key == "clear":
            self.text = ""
        else:
            self.text = (self.text + key)[:20]
        self.dispatch("on_text_changed", self.text)

    def on_text_changed(self, text: str) -> None:
        pass
