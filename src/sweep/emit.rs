//! Files that run a plan on an existing scheduler, never one of dealsim's own:
//! - Slurm: `slurm/tasks.sbatch` (a job array, one element per task), `slurm/merge.sbatch`
//!   and `slurm/submit.sh`, which submits the array and the merge with
//!   `--dependency=afterok:<array>` (the merge starts only if every task succeeded).
//!   `submit.sh 3,7` re-submits only those tasks, with a fresh merge after them.
//! - Kubernetes: `k8s/tasks.yaml` (an Indexed Job: `JOB_COMPLETION_INDEX` is the task),
//!   `k8s/merge.yaml` (a Job), and `k8s/run.sh`, which applies the first, waits for it
//!   to complete, then applies the merge (Kubernetes has no job dependencies).
//!
//! Paths are absolute: the plan folder must be on storage every node sees.

use std::path::Path;

use super::plan::Plan;

/// Where things are and what each task may use.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The dealsim binary on the cluster (Slurm; `$DEALSIM` overrides it at submit time).
    pub dealsim: &'a Path,
    /// The plan folder (absolute).
    pub plan_dir: &'a Path,
    /// The merge's output folder (absolute).
    pub out: &'a Path,
    /// CPUs per task (dealsim threads).
    pub cpus: u32,
    /// Memory per task and for the merge, MiB.
    pub task_mib: u64,
    pub merge_mib: u64,
    /// Container image with `dealsim` on its PATH (Kubernetes).
    pub image: &'a str,
    /// Parallel pods at most (Kubernetes).
    pub parallelism: usize,
}

/// A name for the jobs: `dealsim-` and the plan hash's first 8 hex digits.
fn job_name(plan: &Plan) -> String {
    format!("dealsim-{}", &plan.hash[..plan.hash.len().min(8)])
}

/// Quote for a POSIX shell: single quotes, with `'` written as `'\''`.
fn sh(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The Slurm files, as (path inside the plan folder, text, executable).
pub fn slurm(plan: &Plan, t: &Target) -> Vec<(String, String, bool)> {
    let name = job_name(plan);
    let last = plan.tasks() - 1;
    let logs = t.plan_dir.join("slurm").join("logs");
    let tasks = format!(
        "#!/bin/bash\n\
         # dealsim plan {hash}: one array element per task ({n} tasks).\n\
         # Each element runs `dealsim task PLAN $SLURM_ARRAY_TASK_ID` and writes one part file;\n\
         # a task can be re-run alone (sbatch --array=K), it rewrites the same bytes.\n\
         #SBATCH --job-name={name}-tasks\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --mem={mem}M\n\
         #SBATCH --output={logs}/task-%a.log\n\
         set -euo pipefail\n\
         DEALSIM=\"${{DEALSIM:-{bin}}}\"\n\
         exec \"$DEALSIM\" task {plan} \"$SLURM_ARRAY_TASK_ID\" --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        hash = plan.hash,
        n = plan.tasks(),
        cpus = t.cpus,
        mem = t.task_mib,
        logs = logs.display(),
        bin = t.dealsim.display(),
        plan = sh(t.plan_dir),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # dealsim plan {hash}: merge every part into {out}.\n\
         # It refuses missing, duplicated or foreign parts, naming them.\n\
         #SBATCH --job-name={name}-merge\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --mem={mem}M\n\
         #SBATCH --output={logs}/merge.log\n\
         set -euo pipefail\n\
         DEALSIM=\"${{DEALSIM:-{bin}}}\"\n\
         exec \"$DEALSIM\" merge {plan} --out {outq} --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        hash = plan.hash,
        out = t.out.display(),
        outq = sh(t.out),
        cpus = t.cpus,
        mem = t.merge_mib,
        logs = logs.display(),
        bin = t.dealsim.display(),
        plan = sh(t.plan_dir),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submit the task array, then the merge, which starts only when every task of the\n\
         # array succeeded (afterok). Usage:\n\
         #   submit.sh          all tasks (0-{last})\n\
         #   submit.sh 3,7      only tasks 3 and 7 (after a failure), then a new merge\n\
         # Extra sbatch options go in $SBATCH_OPTS (e.g. \"--partition=batch\").\n\
         set -euo pipefail\n\
         here=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\n\
         array=\"${{1:-0-{last}}}\"\n\
         tasks=$(sbatch --parsable ${{SBATCH_OPTS:-}} --array=\"$array\" \"$here/tasks.sbatch\")\n\
         tasks=\"${{tasks%%;*}}\"\n\
         merge=$(sbatch --parsable ${{SBATCH_OPTS:-}} --dependency=afterok:\"$tasks\" --kill-on-invalid-dep=yes \"$here/merge.sbatch\")\n\
         merge=\"${{merge%%;*}}\"\n\
         echo \"tasks: job $tasks (array $array); merge: job $merge, after all of them succeed\"\n\
         echo \"$tasks $merge\"\n"
    );
    vec![
        ("slurm/tasks.sbatch".into(), tasks, false),
        ("slurm/merge.sbatch".into(), merge, false),
        ("slurm/submit.sh".into(), submit, true),
    ]
}

/// The Kubernetes files, as (path inside the plan folder, text, executable). The plan
/// folder is expected at `/plan` in the pods (a shared volume: PersistentVolumeClaim
/// `dealsim-plan`, edit to suit).
pub fn k8s(plan: &Plan, t: &Target) -> Vec<(String, String, bool)> {
    let name = job_name(plan);
    let n = plan.tasks();
    let par = t.parallelism.clamp(1, n);
    let volume = "      volumes:\n\
                  \x20       - name: plan\n\
                  \x20         persistentVolumeClaim:\n\
                  \x20           claimName: dealsim-plan\n";
    let container = |cmd: &[String], mib: u64| {
        let cmd: Vec<String> = cmd.iter().map(|c| format!("\"{c}\"")).collect();
        format!(
            "      containers:\n\
             \x20       - name: dealsim\n\
             \x20         image: \"{image}\"\n\
             \x20         command: [{cmd}]\n\
             \x20         resources:\n\
             \x20           requests:\n\
             \x20             cpu: \"{cpus}\"\n\
             \x20             memory: \"{mib}Mi\"\n\
             \x20           limits:\n\
             \x20             memory: \"{mib}Mi\"\n\
             \x20         volumeMounts:\n\
             \x20           - name: plan\n\
             \x20             mountPath: /plan\n",
            image = t.image,
            cmd = cmd.join(", "),
            cpus = t.cpus,
        )
    };
    let threads = t.cpus.to_string();
    let task_cmd: Vec<String> = [
        "dealsim",
        "task",
        "/plan",
        "$(JOB_COMPLETION_INDEX)",
        "--threads",
        &threads,
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    let out_name = t
        .out
        .strip_prefix(t.plan_dir)
        .map(|p| format!("/plan/{}", p.display()))
        .unwrap_or_else(|_| "/plan/result".into());
    let merge_cmd: Vec<String> = [
        "dealsim",
        "merge",
        "/plan",
        "--out",
        &out_name,
        "--threads",
        &threads,
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    let tasks = format!(
        "# dealsim plan {hash}: {n} tasks as one Indexed Job; pod i runs task\n\
         # $JOB_COMPLETION_INDEX and writes /plan/parts/task-<i>.part. Apply merge.yaml once\n\
         # this Job is complete (run.sh does both).\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n\
         \x20 name: {name}-tasks\n\
         spec:\n\
         \x20 completionMode: Indexed\n\
         \x20 completions: {n}\n\
         \x20 parallelism: {par}\n\
         \x20 backoffLimit: {backoff}\n\
         \x20 template:\n\
         \x20   spec:\n\
         \x20     restartPolicy: Never\n\
         {c}{volume}",
        hash = plan.hash,
        backoff = 3 * n,
        c = container(&task_cmd, t.task_mib),
    );
    let merge = format!(
        "# dealsim plan {hash}: merge every part into {out_name} (apply after {name}-tasks\n\
         # completes; the merge refuses missing, duplicated or foreign parts).\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n\
         \x20 name: {name}-merge\n\
         spec:\n\
         \x20 completions: 1\n\
         \x20 parallelism: 1\n\
         \x20 backoffLimit: 2\n\
         \x20 template:\n\
         \x20   spec:\n\
         \x20     restartPolicy: Never\n\
         {c}{volume}",
        hash = plan.hash,
        c = container(&merge_cmd, t.merge_mib),
    );
    let run = format!(
        "#!/bin/bash\n\
         # Run the tasks, wait until all are complete, then merge.\n\
         set -euo pipefail\n\
         here=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\n\
         kubectl apply -f \"$here/tasks.yaml\"\n\
         kubectl wait --for=condition=complete --timeout=-1s job/{name}-tasks\n\
         kubectl apply -f \"$here/merge.yaml\"\n\
         kubectl wait --for=condition=complete --timeout=-1s job/{name}-merge\n"
    );
    vec![
        ("k8s/tasks.yaml".into(), tasks, false),
        ("k8s/merge.yaml".into(), merge, false),
        ("k8s/run.sh".into(), run, true),
    ]
}
