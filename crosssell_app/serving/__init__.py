"""Serving: what a page view or an API request reads.

Only published lists and the host's products are read here (:mod:`.lists`, with the read-time
:mod:`.rules` and the compiled :mod:`.queries`); request parameters are parsed by :mod:`.params`,
explanations shaped by :mod:`.explanations`, and widget clicks, impressions and the orders they led
to recorded by :mod:`.attribution`. Nothing here imports :mod:`crosssell_app.training` or
:mod:`crosssell_app.recommenders`, so a page view never loads numpy models or TensorFlow.
"""
