"""Posts reports to a banpol node from keep-alive HTTPS clients; prints how many got a 201.

usage: load.py BASE_URL CERT_PEM REPORTS CLIENTS FIRST_NUMBER
"""
import http.client
import json
import ssl
import sys
import threading

base, cert, n, clients, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
host, port = base.replace("https://", "").split(":")
ctx = ssl.create_default_context(cafile=cert)
ctx.check_hostname = False
STORY = "Sepeda motor dicuri di parkiran pasar, pelaku dua orang memakai helm hitam"
ok = [0]
lock = threading.Lock()


def run(c):
    conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    for i in range(n // clients):
        body = json.dumps({
            "category": "crime", "description": STORY,
            "reporter": {"name": "Budi Santoso", "phone": f"0812{c:02d}{i + first:06d}"},
            "location": {"regency": "Kota Palembang", "address": "Pasar 16 Ilir", "lat": -2.99, "lon": 104.76},
        })
        conn.request("POST", "/api/v1/reports", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status == 201:
            with lock:
                ok[0] += 1
        else:
            print(r.status, file=sys.stderr)


threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(ok[0])
