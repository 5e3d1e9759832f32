"""The server wing: sessions to a phone over the local network, without cables.

``catalog`` turns what the user named into sessions to offer and renders each on demand into a
cache; ``feed`` writes the podcast feed and its chapters files; ``page`` the web page;
``access`` keeps the secret token and finds the LAN address; ``app`` holds the routes, the
only place that knows about HTTP. The wing calls the pipeline's export; nothing in the
pipeline imports it.
"""
