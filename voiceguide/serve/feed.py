"""The podcast feed (RSS 2.0 with the iTunes tags and the Podcasting 2.0 namespace) and each
episode's JSON chapters file, both made from the sessions' rendered files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from voiceguide.serve.catalog import Listing, Rendered
from voiceguide.tags import ARTIST, Chapter

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CHAPTERS_TYPE = "application/json+chapters"
CHAPTERS_VERSION = "1.2.0"
TITLE = "voiceguide"
DESCRIPTION = "Voice-guided self-care sessions: stretches, self-massage and calm breathing, from your own computer."
CATEGORY = "Health & Fitness"

ET.register_namespace("itunes", ITUNES)
ET.register_namespace("podcast", PODCAST)
ET.register_namespace("atom", ATOM)


@dataclass(frozen=True)
class Episode:
    """One rendered session as the feed shows it. URLs are absolute; ``size`` is in bytes."""

    listing: Listing
    rendered: Rendered
    audio_url: str
    size: int
    chapters_url: str
    cover_url: str
    published: datetime


def chapters_json(chapters: tuple[Chapter, ...], title: str) -> bytes:
    """A Podcasting 2.0 JSON chapters file (times in seconds)."""
    document = {
        "version": CHAPTERS_VERSION,
        "title": title,
        "author": ARTIST,
        "chapters": [{"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title} for c in chapters],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def duration(ms: int) -> str:
    """itunes:duration as H:MM:SS."""
    seconds = int(round(ms / 1000))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def rss(feed_url: str, page_url: str, cover_url: str, episodes: list[Episode]) -> bytes:
    """The feed as UTF-8 XML bytes, one item per episode, in the order given."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    _text(channel, "title", TITLE)
    _text(channel, "link", page_url)
    _text(channel, "description", DESCRIPTION)
    _text(channel, "language", "en")
    ET.SubElement(channel, f"{{{ATOM}}}link", {"href": feed_url, "rel": "self", "type": "application/rss+xml"})
    newest = max((e.published for e in episodes), default=datetime.fromtimestamp(0, UTC))
    _text(channel, "lastBuildDate", format_datetime(newest))
    _text(channel, f"{{{ITUNES}}}author", ARTIST)
    _text(channel, f"{{{ITUNES}}}summary", DESCRIPTION)
    _text(channel, f"{{{ITUNES}}}explicit", "false")
    _text(channel, f"{{{ITUNES}}}type", "episodic")
    _text(channel, f"{{{ITUNES}}}block", "Yes")  # a private feed: kept out of podcast directories
    ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": cover_url})
    ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": CATEGORY})
    image = ET.SubElement(channel, "image")
    _text(image, "url", cover_url)
    _text(image, "title", TITLE)
    _text(image, "link", page_url)
    _text(channel, f"{{{PODCAST}}}locked", "yes")
    _text(channel, f"{{{PODCAST}}}medium", "podcast")
    for episode in episodes:
        _item(channel, episode)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def _item(channel: ET.Element, episode: Episode) -> None:
    listing = episode.listing
    item = ET.SubElement(channel, "item")
    _text(item, "title", listing.title)
    _text(item, "description", _description(listing))
    _text(item, "guid", listing.guid).set("isPermaLink", "false")
    _text(item, "pubDate", format_datetime(episode.published))
    ET.SubElement(item, "enclosure", {"url": episode.audio_url, "length": str(episode.size), "type": "audio/mpeg"})
    _text(item, f"{{{ITUNES}}}title", listing.title)
    _text(item, f"{{{ITUNES}}}duration", duration(episode.rendered.duration_ms))
    _text(item, f"{{{ITUNES}}}summary", _description(listing))
    _text(item, f"{{{ITUNES}}}episodeType", "full")
    _text(item, f"{{{ITUNES}}}explicit", "false")
    ET.SubElement(item, f"{{{ITUNES}}}image", {"href": episode.cover_url})
    ET.SubElement(item, f"{{{PODCAST}}}chapters", {"url": episode.chapters_url, "type": CHAPTERS_TYPE})


def _description(listing: Listing) -> str:
    areas = f" Areas: {', '.join(listing.areas)}." if listing.areas else ""
    return f"{listing.summary}{areas}".strip()


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element
