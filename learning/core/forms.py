"""Form pieces every room uses."""

from wtforms import SelectMultipleField, widgets


class MultiCheckboxField(SelectMultipleField):
    """Choose several from a list, shown as checkboxes (officers, lessons, topics, regencies)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
