#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's fs.protected_symlinks rule, applied to the directory a file is created in
/// whether or not the sysctl is on (it is off on some machines, this project's host among
/// them): a symlink on the way that sits in a sticky world-writable directory (/tmp,
/// /dev/shm) and belongs to neither the caller nor that directory's owner is refused, so
/// another user's `/tmp/metrics -> /etc` cannot send root's `--output` or `--pidfile`
/// elsewhere. Checked on the path as written, component by component.
public enum PlantedSymlinks {
    public static func refuse(in dirPath: String, option: String, path: String) throws(PinctlError) {
        var prefix = dirPath.hasPrefix("/") ? "" : "."
        let me = geteuid()
        for component in dirPath.split(separator: "/", omittingEmptySubsequences: true) {
            let parent = prefix.isEmpty ? "/" : prefix
            prefix += "/" + component
            var link = stat()
            guard lstat(prefix, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, link.st_uid != me else { continue }
            var dir = stat()
            guard stat(parent, &dir) == 0 else { continue }
            let stickyWorldWritable = dir.st_mode & S_ISVTX != 0 && dir.st_mode & S_IWOTH != 0
            if stickyWorldWritable && link.st_uid != dir.st_uid {
                throw .permissionDenied(
                    "\(option) '\(path)': \(prefix) is a symbolic link of uid \(link.st_uid) in the shared directory \(parent): it could send the file anywhere; give a path without it"
                )
            }
        }
    }
}
