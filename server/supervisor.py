"""`--workers N`: the children die with the parent, and a second set cannot start beside the first.

The children share the listen ports with SO_REUSEPORT, which would also let another supervisor's
children bind beside them, so before spawning the supervisor binds each port once *without*
SO_REUSEPORT: that fails while anyone listens there, and start-up stops with one line (exit 2). Each
child asks Linux for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), so a SIGKILLed supervisor
leaves no orphan serving under PID 1; where prctl is missing a thread watches the parent instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import threading
import time

from cavra_recovery.server.setting_values import SettingsError, split_host_port
from cavra_recovery.server.settings import Settings

PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


def check_ports_free(settings: Settings) -> None:
    """Raise SettingsError naming the first listen address something already listens on."""
    listens = [("gRPC", settings.grpc_listen)]
    if settings.http_listen is not None:
        listens.append(("HTTP", settings.http_listen))
    for kind, listen in listens:
        host, port = split_host_port(listen)
        if port == 0:
            continue
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as error:
            raise SettingsError(f"cannot resolve {kind} listen address {listen}: {error.strerror}") from None
        family, kind_, proto, _, address = infos[0]
        with socket.socket(family, kind_, proto) as probe:
            # SO_REUSEADDR only: a port in TIME_WAIT is free, a listening one (reuseport or not) is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                raise SettingsError(
                    f"cannot listen on {listen} for {kind}: {error.strerror}; another server (an earlier "
                    "--workers set?) holds the port; stop it first"
                ) from None


def die_with_parent(parent_pid: int) -> None:
    """Make this (child) process get SIGTERM when `parent_pid`, its supervisor, dies."""
    libc_name = ctypes.util.find_library("c")
    prctl = getattr(ctypes.CDLL(libc_name, use_errno=True), "prctl", None) if libc_name else None
    if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
        # The parent may have died before prctl ran: then no signal will come.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)
        return
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
