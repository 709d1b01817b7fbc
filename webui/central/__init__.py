"""Blueprints of the officers' pages at the center (see `webui.central_ui`)."""
