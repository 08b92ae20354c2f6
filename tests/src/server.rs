//! What the private test servers ([`crate::pg`], [`crate::mysql`]) share:
//! a private directory, an unprivileged user when the tests run as root, and
//! a watchdog that stops the server and removes its directory once the test
//! process is gone (statics are never dropped when a test binary exits).

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Numbers the schemas and databases made by this process.
static NAME_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A name for a test's own schema or database, `t_<pid>_<counter>_<random>`:
/// lowercase ASCII letters, digits and underscores, so it needs no quoting,
/// and unique even against a server other processes share.
pub(crate) fn unique_name() -> String {
    let counter = NAME_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("t_{}_{counter}_{:016x}", std::process::id(), random_u64())
}

/// 64 random bits from the standard library's randomly seeded hasher.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(nanos_since_epoch());
    hasher.finish()
}

/// Nanoseconds since the Unix epoch (0 should the clock be before it).
pub(crate) fn nanos_since_epoch() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// An unprivileged account to run a server as (when the tests run as root).
pub(crate) struct ServerUser {
    /// The account's name.
    pub name: String,
    /// Its uid.
    pub uid: u32,
    /// Its primary gid.
    pub gid: u32,
}

/// Whether this process runs with effective uid 0, read from `/proc/self/status`.
pub(crate) fn effective_uid_is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            // `Uid:` real, effective, saved, filesystem.
            line.split_whitespace().nth(2)?.parse::<u32>().ok()
        })
        == Some(0)
}

/// The `preferred` system user if `/etc/passwd` has it, else `nobody`; when
/// neither exists, an error that ends with `hint`.
pub(crate) fn unprivileged_user(preferred: &str, hint: &str) -> Result<ServerUser, String> {
    let passwd = fs::read_to_string("/etc/passwd")
        .map_err(|error| format!("running as root, cannot read /etc/passwd: {error}"))?;
    let find = |wanted: &str| {
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            if name != wanted {
                return None;
            }
            let _password = fields.next()?;
            let uid = fields.next()?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some(ServerUser {
                name: name.to_owned(),
                uid,
                gid,
            })
        })
    };
    find(preferred).or_else(|| find("nobody")).ok_or_else(|| {
        format!(
            "running as root, and /etc/passwd has neither a `{preferred}` nor a `nobody` user: {hint}"
        )
    })
}

/// Creates `dir` (which must not exist yet) with mode 0700, owned by `owner` when given.
pub(crate) fn make_private_dir(dir: &Path, owner: Option<(u32, u32)>) -> Result<(), String> {
    fs::create_dir(dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|error| format!("cannot chmod 0700 {}: {error}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        chown(dir, Some(uid), Some(gid))
            .map_err(|error| format!("cannot chown {} to {uid}:{gid}: {error}", dir.display()))?;
    }
    Ok(())
}

/// Runs `command` in `dir` (which the server user can enter, unlike perhaps the test's working
/// directory) and as `user` when given.
pub(crate) fn run_as(command: &mut Command, dir: &Path, user: Option<&ServerUser>) {
    command.current_dir(dir);
    if let Some(user) = user {
        command.uid(user.uid).gid(user.gid);
    }
}

/// Starts `script` with `sh -c` (as the current user) as the watchdog named `name` of the server
/// in `dir`: `$1` is the pid of this test process, `$2` the directory. The script waits for this
/// process to end, stops the server and removes the directory.
pub(crate) fn spawn_watchdog(script: &str, name: &str, dir: &Path) -> Result<(), String> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg(name)
        .arg(std::process::id().to_string())
        .arg(dir)
        // `sleep`, `cat` and `rm` from the system, whatever PATH the tests run with.
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        // No handle on the test's stdout/stderr: `cargo test` waits for those pipes to close.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group, so a Ctrl-C that kills the test run leaves it to clean up.
        .process_group(0)
        .spawn()
        .map_err(|error| format!("cannot start the cleanup watchdog (/bin/sh): {error}"))?;
    Ok(())
}

/// Writes the server's pid to `dir/file` where the watchdog reads it (written whole, then
/// renamed into place).
pub(crate) fn record_server_pid(dir: &Path, file: &str, pid: u32) -> Result<(), String> {
    let partial = dir.join(format!("{file}.partial"));
    fs::write(&partial, format!("{pid}\n"))
        .and_then(|()| fs::rename(&partial, dir.join(file)))
        .map_err(|error| format!("cannot record the server pid in {}: {error}", dir.display()))
}

/// The last lines of a server log, for error messages.
pub(crate) fn log_tail(log_path: &Path) -> String {
    match fs::read_to_string(log_path) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        }
        Err(error) => format!("(cannot read {}: {error})", log_path.display()),
    }
}

/// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago: all are bound at once
/// (so none repeats), then released for the servers to take.
pub(crate) fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("cannot find a free TCP port on 127.0.0.1: {error}"))?;
    listeners
        .iter()
        .map(|listener| {
            listener
                .local_addr()
                .map(|address| address.port())
                .map_err(|error| format!("cannot read a bound port: {error}"))
        })
        .collect()
}

/// Sends SIGKILL to the process group `leader` leads (every server here is started as the
/// leader of its own group, so this also kills a PostgreSQL server's backends at once, as a
/// crash of the machine would).
pub(crate) fn kill_group(leader: u32) -> Result<(), String> {
    let status = Command::new("/bin/kill")
        .args(["-KILL", "--", &format!("-{leader}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run /bin/kill: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -KILL -{leader} failed ({status})"))
    }
}

/// Watchdog script for a directory holding several servers (a replicated pair, a cluster).
/// `$1`: pid of the test process, `$2`: the directory. Once the test process is gone, it kills
/// the process group of every pid recorded in a `$2/*.server-pid` file and removes the
/// directory. A throwaway server needs no clean shutdown.
pub(crate) const CLUSTER_WATCHDOG_SCRIPT: &str = r#"
while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
for file in "$2"/*.server-pid; do
    [ -e "$file" ] || continue
    pid=$(cat "$file" 2>/dev/null)
    [ -n "$pid" ] && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
done
sleep 1
rm -rf "$2"
"#;
