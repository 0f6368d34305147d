# Variance reduction factors of --sampler (issue 17): per sampler, SEEDS runs of N paths
# (1 thread); the variance across seeds of mean/p5/p50/p95 of npv_total, against mc.
# Usage: python3 bench/samplers.py SCENARIO N SEEDS [DEALSIM_BINARY]
import csv, subprocess, sys, tempfile, time, statistics as st
B = sys.argv[4] if len(sys.argv) > 4 else "target/release/dealsim"
scen, n, seeds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {}
for smp in ["mc", "antithetic", "sobol"]:
    rows, wall, ses = [], 0.0, []
    for s in range(seeds):
        out = f"{tempfile.gettempdir()}/dealsim-vrf-{smp}"
        t0 = time.time()
        subprocess.run([B, "run", scen, "--paths", str(n), "--seed", str(1000 + s), "--sampler", smp,
                        "--threads", "1", "-q", "--no-report", "--charts", "none", "--out", out], check=True,
                       stdout=subprocess.DEVNULL)
        wall += time.time() - t0
        with open(out + "/summary.csv") as f:
            r = next(x for x in csv.DictReader(f) if x["metric"] == "npv_total")
        rows.append([float(r[k]) for k in ["mean", "p5", "p50", "p95"]])
        ses.append(float(r["std_error"]))
    var = [st.variance([x[i] for x in rows]) for i in range(4)]
    res[smp] = (var, wall / seeds, (sum(e * e for e in ses) / seeds) ** 0.5)
print(f"{scen} n={n} seeds={seeds}")
print("sampler     time/run  sd(mean) rms(se)  VRF mean  VRF p5  VRF p50  VRF p95  | equal-time VRF mean p5 p50 p95")
vm, tm, _ = res["mc"]
for smp, (v, t, se) in res.items():
    vrf = [vm[i] / v[i] for i in range(4)]
    et = [x * tm / t for x in vrf]
    print(f"{smp:10} {t:8.3f}s {v[0]**.5:8.3f} {se:8.3f} " + " ".join(f"{x:8.2f}" for x in vrf) + "  | " + " ".join(f"{x:6.2f}" for x in et))
