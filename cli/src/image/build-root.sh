#!/usr/bin/env bash
# The root file system that the Parley image is layered on, made here rather than pulled from a
# registry (Jib's base image is "scratch"): glibc and libgcc from Debian's own packages (what
# distroless' base images are made of), a Java runtime cut by jlink from the building JDK, the
# class-only libsignal jar with its one native library, a 'parley' user, /tmp and the data directory.
#
# usage: build-root.sh CLI_TARGET_DIR JAVA_HOME
# needs: apt-get and dpkg-deb (Debian or Ubuntu), and the runnable layout built by 'package'.
set -euo pipefail
target="$(cd "$1" && pwd)"
java_home="$2"
root="$target/image-root"
debs="$target/image-debs"
modules="java.base,java.desktop,java.instrument,java.naming,java.net.http,java.sql,jdk.jfr,jdk.management,jdk.unsupported"

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "build-root.sh: needs $tool (Debian's packages are the image's base)" >&2; exit 1; }
done
[ -f "$target/native/libsignal_jni.so" ] || { echo "build-root.sh: run 'package' first (no $target/native)" >&2; exit 1; }

rm -rf "$root" "$debs"
mkdir -p "$root" "$debs"

# 1. The C library the JVM and the native libraries (libsignal, sqlite, netty) link against.
(cd "$debs" && apt-get download -q libc6 libgcc-s1 2>/dev/null)
for deb in "$debs"/*.deb; do
  dpkg-deb -x "$deb" "$root"
done
rm -rf "$root"/usr/share/doc "$root"/usr/share/lintian "$root"/usr/share/locale "$root"/usr/share/i18n \
  "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/usr/libexec "$root"/usr/bin "$root"/usr/sbin "$root"/sbin "$root"/etc/ld.so.conf.d

# Jib copies files, not links: each link becomes a copy of what it points to inside the root.
find "$root" -type l | while read -r link; do
  dest="$(readlink "$link")"
  case "$dest" in
    /*) resolved="$root$dest" ;;
    *) resolved="$(dirname "$link")/$dest" ;;
  esac
  if [ -f "$resolved" ]; then cp --remove-destination "$resolved" "$link"; else rm -f "$link"; fi
done

# 2. A Java runtime with the modules Parley uses (jdeps --print-module-deps over the runnable jars).
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
  --output "$root/opt/java"

# 3. libsignal without the 400 MB of other platforms' native code.
mkdir -p "$root/opt/parley/lib" "$root/opt/parley/native"
cp "$target"/lib/libsignal-client-*.jar "$root/opt/parley/lib/"
# Shipped with its debug information (120 MB); the image needs the code (16 MB).
if command -v strip >/dev/null; then
  strip --strip-unneeded -o "$root/opt/parley/native/libsignal_jni.so" "$target/native/libsignal_jni.so"
else
  cp "$target/native/libsignal_jni.so" "$root/opt/parley/native/"
fi

# 4. Who runs it, and where it writes.
mkdir -p "$root/etc/parley" "$root/tmp" "$root/var/lib/parley"
printf 'root:x:0:0:root:/root:/sbin/nologin\nparley:x:10001:10001:parley:/var/lib/parley:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nparley:x:10001:\n' > "$root/etc/group"
echo "image root: $(du -sh "$root" | cut -f1) in $root"
