"""The Kivy touch UI (SPEC section 7): screens render a `LaneSnapshot`, taps become lane actions.

Nothing here imports Kivy at package import: `kiosk.ui.env.prepare_kivy` must run
first (it sets Kivy's environment: offscreen or windowed, size, no argv parsing), then
`kiosk.ui.app` may be imported.
"""
