"""A real SMTP server for the notification tests: aiosmtpd (Debian's python3-aiosmtpd) on
127.0.0.1, requiring STARTTLS with the given certificate, writing each message it accepts to
OUT_DIR/<n>.eml. Run with Debian's own Python (/usr/bin/python3), where the package lives:

    /usr/bin/python3 smtp_peer.py PORT CERT KEY OUT_DIR

Stops on SIGTERM (the test stops it by PID)."""

import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.out_dir, f"{self.count}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
                    f"X-TLS: {'yes' if session.ssl else 'no'}\r\n".encode())
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def main():
    port, cert, key, out_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    controller = Controller(Save(out_dir), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait(600)  # bounded: the test stops it long before
    controller.stop()


if __name__ == "__main__":
    main()
