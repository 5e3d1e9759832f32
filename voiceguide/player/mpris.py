"""The buttons people already have: on Linux, ``play`` is an MPRIS media player on the session bus.

The desktop hands the keyboard's play/pause key, a Bluetooth headset's button and a pedal or a
remote that sends media keys to the media player on the session bus; ``playerctl`` drives it from
a shell. Each command becomes one of the player's commands ("pause", "resume", "next", "back",
"quit") on the same queue as the spoken ones, so the player's core does not change for it, and the
bus sees the session's title, the section that plays, the length, the position on the device's
clock and whether it plays (with a signal whenever the section or the state changes).

Everything happens on a thread of its own, and only once the first sound is out: no session bus,
a bus that does not answer or no D-Bus library (jeepney, the ``mpris`` extra) is no error and no
delay, and nothing is said. The MPRIS interfaces: https://specifications.freedesktop.org/mpris-spec/
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import threading
from typing import Any

from voiceguide.player.core import Player
from voiceguide.player.status import State, Status

PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"
POLL = 0.1  # seconds between looks at the player, for the signals
FIRST_SOUND = 0.02  # seconds between looks for the first sound, before the bus is touched

Variant = tuple[str, Any]  # jeepney's form of a D-Bus variant: (signature, value)


def bus_name(pid: int | None = None) -> str:
    return f"org.mpris.MediaPlayer2.voiceguide.instance{os.getpid() if pid is None else pid}"


def command_for(method: str, state: State, held: bool = False) -> str | None:
    """The player's command for an MPRIS method called in ``state`` (None: nothing to do); where
    the session waits for the listener (``held``), play and play/pause go on."""
    if method == "PlayPause":
        return "resume" if state is State.PAUSED or held else "pause"
    return {"Play": "resume", "Pause": "pause", "Next": "next", "Previous": "back", "Stop": "quit", "Quit": "quit"}.get(
        method
    )


def playback_status(state: State) -> str:
    return {State.PAUSED: "Paused", State.FINISHED: "Stopped"}.get(state, "Playing")


def metadata(status: Status) -> dict[str, Variant]:
    """The session's title, its section as the album, the length in microseconds when known."""
    found: dict[str, Variant] = {
        "mpris:trackid": ("o", f"/org/voiceguide/section/{status.section_index}"),
        "xesam:title": ("s", status.title),
        "xesam:album": ("s", status.section or status.title),
        "xesam:artist": ("as", ["voiceguide"]),
    }
    if status.length is not None:
        found["mpris:length"] = ("x", round(status.length * 1_000_000))
    return found


def player_properties(status: Status) -> dict[str, Variant]:
    last = status.section_index + 1 >= status.sections
    return {
        "PlaybackStatus": ("s", playback_status(status.state)),
        "Rate": ("d", 1.0),
        "MinimumRate": ("d", 1.0),
        "MaximumRate": ("d", 1.0),
        "Metadata": ("a{sv}", metadata(status)),
        "Volume": ("d", status.volume / 100),
        "Position": ("x", round(status.position * 1_000_000)),
        "CanGoNext": ("b", not last),
        "CanGoPrevious": ("b", True),
        "CanPlay": ("b", status.state is not State.FINISHED),
        "CanPause": ("b", status.state is not State.FINISHED),
        "CanSeek": ("b", False),
        "CanControl": ("b", True),
    }


ROOT_PROPERTIES: dict[str, Variant] = {
    "CanQuit": ("b", True),
    "CanRaise": ("b", False),
    "HasTrackList": ("b", False),
    "Identity": ("s", "voiceguide"),
    "SupportedUriSchemes": ("as", []),
    "SupportedMimeTypes": ("as", []),
}

# What changes while a session plays, and is signalled (Position is asked for, never signalled).
SIGNALLED = ("PlaybackStatus", "Metadata", "Volume", "CanGoNext", "CanPlay", "CanPause")

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="{INTROSPECTABLE}"><method name="Introspect"><arg direction="out" type="s"/></method></interface>
 <interface name="{PROPERTIES}">
  <method name="Get"><arg direction="in" type="s"/><arg direction="in" type="s"/>
   <arg direction="out" type="v"/></method>
  <method name="GetAll"><arg direction="in" type="s"/><arg direction="out" type="a{{sv}}"/></method>
  <method name="Set"><arg direction="in" type="s"/><arg direction="in" type="s"/><arg direction="in" type="v"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{{sv}}"/><arg type="as"/></signal>
 </interface>
 <interface name="{ROOT}">
  <method name="Raise"/><method name="Quit"/>
  {"".join(f'<property name="{n}" type="{v[0]}" access="read"/>' for n, v in ROOT_PROPERTIES.items())}
 </interface>
 <interface name="{PLAYER}">
  <method name="Next"/><method name="Previous"/><method name="Pause"/><method name="PlayPause"/>
  <method name="Stop"/><method name="Play"/>
  <method name="Seek"><arg direction="in" type="x"/></method>
  <method name="SetPosition"><arg direction="in" type="o"/><arg direction="in" type="x"/></method>
  <method name="OpenUri"><arg direction="in" type="s"/></method>
  <signal name="Seeked"><arg type="x"/></signal>
  {"".join(f'<property name="{n}" type="{t}" access="read"/>' for n, t in (
      ("PlaybackStatus", "s"), ("Rate", "d"), ("MinimumRate", "d"), ("MaximumRate", "d"), ("Metadata", "a{sv}"),
      ("Volume", "d"), ("Position", "x"), ("CanGoNext", "b"), ("CanGoPrevious", "b"), ("CanPlay", "b"),
      ("CanPause", "b"), ("CanSeek", "b"), ("CanControl", "b")))}
 </interface>
</node>
"""  # fmt: skip


class Buttons:
    """The player on the session bus, on a thread of its own, from the first sound until ``stop``."""

    def __init__(self, player: Player, commands: queue.Queue[str]) -> None:
        self.player = player
        self.commands = commands
        self._stopping = threading.Event()
        self._connection: Any = None
        self._lock = threading.Lock()
        self.name = bus_name()
        self.thread = threading.Thread(target=self._serve, name="voiceguide-mpris", daemon=True)

    @classmethod
    def start(cls, player: Player, commands: queue.Queue[str]) -> Buttons:
        buttons = cls(player, commands)
        buttons.thread.start()
        return buttons

    def stop(self) -> None:
        """Leave the bus (the name goes with the connection); the thread wakes at once."""
        self._stopping.set()
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(1.0)

    # -- the thread ------------------------------------------------------------------------

    def _serve(self) -> None:
        while self.player.output is None and self.player.state is not State.FINISHED:
            if self._stopping.wait(FIRST_SOUND):
                return
        connection = _connect(self.name)
        if connection is None:
            return
        with self._lock:
            if self._stopping.is_set():
                connection.close()
                return
            self._connection = connection
        try:
            self._loop(connection)
        except Exception:
            # The bus went away, or the player is closing under this thread: the buttons stop
            # working, and the sound, which never waits for them, plays on without a word.
            pass
        finally:
            connection.close()

    def _loop(self, connection: Any) -> None:
        from jeepney import MessageType

        said = self._signalled()
        while not self._stopping.is_set():
            try:
                message = connection.receive(timeout=POLL)
            except TimeoutError:
                message = None
            if message is not None and message.header.message_type == MessageType.method_call:
                reply = self._answer(message)
                if reply is not None:
                    connection.send(reply)
            now = self._signalled()
            changed = {name: value for name, value in now.items() if said.get(name) != value}
            if changed:
                connection.send(_properties_changed(PLAYER, changed))
                said = now

    def _signalled(self) -> dict[str, Variant]:
        properties = player_properties(self.player.status())
        return {name: properties[name] for name in SIGNALLED}

    def _answer(self, message: Any) -> Any:
        """The reply to a method call (None when the caller wants none)."""
        from jeepney import HeaderFields, new_error, new_method_return

        fields = message.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        if fields.get(HeaderFields.path) != PATH and interface != PEER:
            return new_error(message, "org.freedesktop.DBus.Error.UnknownObject", "s", (f"no object here but {PATH}",))
        if interface == PROPERTIES or (interface is None and member in ("Get", "GetAll", "Set")):
            return self._properties(message, member)
        if interface == INTROSPECTABLE or member == "Introspect":
            return new_method_return(message, "s", (INTROSPECTION,))
        if interface == PEER or member in ("Ping", "GetMachineId"):
            if member == "Ping":
                return new_method_return(message)
            return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", ("no machine id",))
        if member in ("Raise", "Seek", "SetPosition", "OpenUri"):
            return new_method_return(message)  # nothing to raise; CanSeek is false
        if member in ("Next", "Previous", "Pause", "PlayPause", "Stop", "Play", "Quit"):
            command = command_for(member, self.player.state, self.player.held())
            if command is not None:
                self.commands.put(command)
            return new_method_return(message)
        return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no method {member}",))

    def _properties(self, message: Any, member: str) -> Any:
        from jeepney import new_error, new_method_return

        interface = message.body[0] if message.body else ""
        every = self._all(interface)
        if member == "GetAll":
            return new_method_return(message, "a{sv}", (every,))
        if member == "Get" and len(message.body) == 2 and message.body[1] in every:
            return new_method_return(message, "v", (every[message.body[1]],))
        if member == "Set":
            return new_error(message, "org.freedesktop.DBus.Error.PropertyReadOnly", "s", ("read only",))
        return new_error(message, "org.freedesktop.DBus.Error.UnknownProperty", "s", ("no such property",))

    def _all(self, interface: str) -> dict[str, Variant]:
        if interface == ROOT:
            return ROOT_PROPERTIES
        if interface == PLAYER:
            return player_properties(self.player.status())
        return {}


def _connect(name: str) -> Any:
    """A connection to the session bus that owns ``name``, or None (no bus, no library, no answer)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return None
    try:
        connection = open_dbus_connection(bus="SESSION", auth_timeout=2.0)
    except (OSError, ValueError, RuntimeError, KeyError, StopIteration):
        return None
    try:
        connection.send_and_get_reply(message_bus.RequestName(name, 4), timeout=2.0)  # 4: do not queue
    except (OSError, ValueError, RuntimeError):
        connection.close()
        return None
    return connection


def _properties_changed(interface: str, changed: dict[str, Variant]) -> Any:
    from jeepney import DBusAddress, new_signal

    emitter = DBusAddress(PATH, interface=PROPERTIES)
    return new_signal(emitter, "PropertiesChanged", "sa{sv}as", (interface, changed, []))
