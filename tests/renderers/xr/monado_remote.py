"""A test-side client for Monado's "remote" driver: set the tracked head and the controllers.

Monado started with ``P_OVERRIDE_ACTIVE_CONFIG=remote`` replaces its simulated headset by a
"Remote Simulator": an HMD and two Valve Index controllers whose poses and inputs come from a
TCP client (port 4242 by default). The client sends fixed-size ``r_remote_data`` packets; on
connect, the service first sends two of its own (the reset state and the latest one).

Layout (Monado 25's ``src/xrt/drivers/remote/r_interface.h``, protocol header ``"mndrmt3"``,
little-endian, packed to 4 bytes, 376 bytes in all) -- written here from that description
with :mod:`struct`, because nothing on PyPI speaks this debugging protocol:

- ``uint64 header``;
- head: two views (``fov`` left/right/up/down radians, ``pose`` quaternion x, y, z, w then
  position, 4 bytes padding), the ``center`` pose (the OpenXR VIEW space), a
  ``per_view_data_valid`` flag and 3 padding bytes;
- left, right controller: ``pose``, linear and angular velocity, five hand curls, trigger,
  squeeze value and force, thumbstick (x, y), trackpad force, trackpad (x, y), then 16 bools:
  hand tracking active, active, system click/touch, a click/touch, b click/touch, trigger
  click/touch, thumbstick click/touch, trackpad touch and 3 padding bytes.

With ``per_view_data_valid`` false (what this client sends) Monado places the two eyes about
the head centre itself (its default IPD) and uses its own field of view.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field, replace

__all__ = ["HEADER", "PACKET_SIZE", "Controller", "RemoteState", "RemoteClient"]

HEADER = struct.unpack("<Q", b"mndrmt3\0")[0]
_POSE = "7f"  # quaternion (x, y, z, w), position (x, y, z)
_VIEW = "4f" + _POSE + "I"
_HEAD = _VIEW * 2 + _POSE + "?3x"
_CONTROLLER = _POSE + "3f3f5f" + "fff" + "2f" + "f" + "2f" + "13?3x"
_FORMAT = "<Q" + _HEAD + _CONTROLLER * 2
PACKET_SIZE = struct.calcsize(_FORMAT)
assert PACKET_SIZE == 376, PACKET_SIZE
#: The Remote Simulator's controller buttons, in packet order after ``hand_tracking_active``.
BUTTONS = ("active", "system_click", "system_touch", "a_click", "a_touch", "b_click", "b_touch",
           "trigger_click", "trigger_touch", "thumbstick_click", "thumbstick_touch",
           "trackpad_touch")


@dataclass(frozen=True)
class Controller:
    """One remote Index controller: pose (metres, quaternion x, y, z, w) and inputs."""

    position: tuple[float, float, float] = (0.2, 1.3, -0.5)
    orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    trigger: float = 0.0
    squeeze: float = 0.0
    thumbstick: tuple[float, float] = (0.0, 0.0)
    buttons: frozenset = frozenset({"active"})

    def values(self) -> list:
        vals = [*self.orientation, *self.position, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                0.0, 0.0, 0.0, 0.0, 0.0, self.trigger, self.squeeze, 0.0,
                *self.thumbstick, 0.0, 0.0, 0.0]
        return vals + [False] + [name in self.buttons for name in BUTTONS]

    def press(self, *names: str) -> Controller:
        return replace(self, buttons=self.buttons | set(names))

    def release(self, *names: str) -> Controller:
        return replace(self, buttons=self.buttons - set(names))


@dataclass(frozen=True)
class RemoteState:
    """Everything one packet carries: the head centre pose and both controllers."""

    head_position: tuple[float, float, float] = (0.0, 1.6, 0.0)
    head_orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    left: Controller = field(default_factory=lambda: Controller(position=(-0.2, 1.3, -0.5)))
    right: Controller = field(default_factory=Controller)

    def pack(self) -> bytes:
        view = [0.0] * 4 + [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0]
        head = view * 2 + [*self.head_orientation, *self.head_position, False]
        return struct.pack(_FORMAT, HEADER, *head, *self.left.values(), *self.right.values())


def unpack_head(packet: bytes) -> tuple[int, tuple[float, ...]]:
    """(header, head centre position) of a packet the service sent."""
    vals = struct.unpack(_FORMAT, packet)
    centre = vals[1 + 2 * 12: 1 + 2 * 12 + 7]
    return vals[0], tuple(centre[4:7])


class RemoteClient:
    """A connection to the remote driver; :meth:`send` replaces the whole tracked state.

    Parameters
    ----------
    port : int
        The service's port (Monado's default 4242).
    timeout : float
        Seconds to keep trying to connect (the service opens the port once its devices exist).
    """

    def __init__(self, port: int = 4242, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The service greets with its reset state and its latest one.
        greeting = b""
        while len(greeting) < 2 * PACKET_SIZE:
            chunk = self.sock.recv(2 * PACKET_SIZE - len(greeting))
            if not chunk:
                raise ConnectionError("the remote driver closed the connection")
            greeting += chunk
        self.greeting = [unpack_head(greeting[i * PACKET_SIZE:(i + 1) * PACKET_SIZE])
                         for i in range(2)]
        self.state = RemoteState()

    def send(self, state: RemoteState) -> None:
        self.state = state
        self.sock.sendall(state.pack())

    def close(self) -> None:
        self.sock.close()
