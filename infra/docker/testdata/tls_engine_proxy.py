#!/usr/bin/env python3
"""A TLS front for the local Docker Engine, as minikube's engine listens:
tcp://127.0.0.1:PORT, a server certificate for 127.0.0.1, client certificates
required and checked against the CA. For engine_tls_test.

    tls_engine_proxy.py CERT_DIR UNIX_SOCKET

CERT_DIR holds ca.pem, server-cert.pem and server-key.pem. Prints the port it
listens on, then forwards each connection to UNIX_SOCKET until killed.
"""
import socket
import ssl
import sys
import threading

cert_dir, target = sys.argv[1], sys.argv[2]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(f"{cert_dir}/server-cert.pem", f"{cert_dir}/server-key.pem")
context.load_verify_locations(f"{cert_dir}/ca.pem")
context.verify_mode = ssl.CERT_REQUIRED

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(raw):
    try:
        tls = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        raw.close()
        return
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.connect(target)
    threading.Thread(target=pump, args=(engine, tls), daemon=True).start()
    pump(tls, engine)


while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
