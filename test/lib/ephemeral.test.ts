import { describe, expect, test } from "bun:test";
import { ephemeralDiskWarning, mountOf } from "../../src/lib/ephemeral";

/** /proc/self/mountinfo of a container with a volume at /data and one of a platform app without one. */
const withVolume = `
620 540 0:52 / / rw,relatime master:330 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,upperdir=/var/lib/docker/overlay2/x/diff
621 620 0:55 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
640 620 254:1 /var/lib/docker/volumes/link-tracker-data/_data /data rw,relatime master:1 - ext4 /dev/vda1 rw
641 620 0:60 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=65536k
642 620 254:1 /srv/my\\040data /srv/my\\040data rw,relatime - ext4 /dev/vda1 rw
`;
const withoutVolume = withVolume.split("\n").filter((l) => !l.includes(" /data ")).join("\n");

describe("a database on a disk that goes with its container", () => {
  test("the mount holding a path is the longest mount point above it", () => {
    expect(mountOf("/data", withVolume)).toEqual({ point: "/data", fstype: "ext4" });
    expect(mountOf("/data/sub", withVolume)).toEqual({ point: "/data", fstype: "ext4" });
    expect(mountOf("/database", withVolume)).toEqual({ point: "/", fstype: "overlay" });
    expect(mountOf("/srv/my data", withVolume)).toEqual({ point: "/srv/my data", fstype: "ext4" });
    expect(mountOf("/x", "garbage\n\n")).toBeNull();
  });

  test("a volume at /data: nothing said; none: the container's own filesystem, named; tmpfs: memory", () => {
    expect(ephemeralDiskWarning("/data/link-tracker.db", withVolume, "/data")).toBeNull();
    const lost = ephemeralDiskWarning("/data/link-tracker.db", withoutVolume, "/data");
    expect(lost).toContain("the container's own filesystem (overlay at /)");
    expect(lost).toContain("DATABASE_URL");
    expect(lost).toContain("mount a volume at /data");
    expect(ephemeralDiskWarning("/tmp/x/link-tracker.db", withVolume, "/tmp/x")).toContain("is on memory (tmpfs at /tmp)");
  });

  test("this machine's own mounts are read (no throw), and unreadable ones say nothing", () => {
    expect(() => ephemeralDiskWarning("./data/link-tracker.db")).not.toThrow();
    expect(ephemeralDiskWarning("./data/link-tracker.db", "", "/data")).toBeNull();
  });
});
