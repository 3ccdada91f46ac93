# SPDX-License-Identifier: MIT
# Sourced by the scripts that run vgpu's Windows programs under Wine: an X
# server, a Wine prefix, the sim, and our Mesa DLLs.
# Everything started here is stopped by wine_env_stop (call it from a trap).

wine_env_log=${wine_env_log:-/dev/null}

# Xvfb on a display number it picks itself (-displayfd), so runs never collide;
# wine_env_screen (WxHxDEPTH) when windows must be larger than the default's.
wine_env_start_xvfb() {
	local fifo
	fifo=$(mktemp -u /tmp/vgpu-xvfb-XXXXXX)
	mkfifo "$fifo"
	Xvfb -displayfd 3 -screen 0 "${wine_env_screen:-1024x768x24}" -nolisten tcp 3>"$fifo" >>"$wine_env_log" 2>&1 &
	wine_env_xvfb=$!
	read -r -t 20 display <"$fifo" || display=
	rm -f "$fifo"
	[ -n "$display" ] || { echo "wine-env: Xvfb did not start" >&2; return 1; }
	export DISPLAY=:$display
}

# A Wine prefix of our own; creating it takes a while the first time only.
# And X resources, empty, as a desktop session loads some: with none at all,
# Xlib opens ~/.Xdefaults anew at every XGetDefault, which Wine calls at
# every DC it sets up (the presenter takes one per frame), three system
# calls a frame that neither Wine's own GL nor a Windows guest pays.
wine_env_prefix() {
	export WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-}
	if [ ! -f "$WINEPREFIX/system.reg" ]; then
		mkdir -p "$WINEPREFIX"
		timeout 120 wineboot --init >>"$wine_env_log" 2>&1 ||
			{ echo "wine-env: cannot create Wine prefix $WINEPREFIX" >&2; return 1; }
	fi
	if [ -z "${XENVIRONMENT:-}" ]; then
		: >"$WINEPREFIX/x-resources"
		export XENVIRONMENT=$WINEPREFIX/x-resources
	fi
}

# vgpu-sim with a Unix socket in $2 and TCP on a free loopback port.
# VGPU_SOCKET names the Unix socket, which libvgpu reaches under Wine with
# Linux's own calls (Winsock takes Wine's server into every call: several
# times slower); wine_env_sim_tcp has the TCP address; wine_env_sim the pid.
# Its device renders with the host's own Mesa: GALLIUM_DRIVER is the Windows programs'.
wine_env_start_sim() {
	local sim=$1 dir=$2 port= i
	# The log of an earlier run must not be read as this one's: the shell
	# truncates it only once the sim's process has started.
	rm -f "$dir/sim.out" "$dir/sim.err"
	dir=$(realpath -m "$dir")
	env -u GALLIUM_DRIVER "$sim" --socket "$dir/sim.sock" --tcp 0 \
		>"$dir/sim.out" 2>"$dir/sim.err" &
	wine_env_sim=$!
	for i in $(seq 200); do
		grep -q '^vgpu-sim: ready' "$dir/sim.out" 2>/dev/null && break
		kill -0 "$wine_env_sim" 2>/dev/null || break
		sleep 0.1
	done
	port=$(sed -n 's/^vgpu-sim: listening on tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$dir/sim.out")
	if ! grep -q '^vgpu-sim: ready' "$dir/sim.out" || [ -z "$port" ]; then
		echo "wine-env: vgpu-sim did not start:" >&2
		cat "$dir/sim.err" >&2
		return 1
	fi
	wine_env_sim_tcp=tcp:127.0.0.1:$port
	export VGPU_SOCKET=$dir/sim.sock
}

# Where scripts/build-mesa.sh installed the Windows Mesa: opengl32.dll, the
# WGL driver vgpu_wgl.dll and the GL dispatch they share, libglapi.dll.
wine_env_dlls=(opengl32.dll vgpu_wgl.dll libglapi.dll)
wine_env_mesa_dlls() {
	local prefix=$1 dll
	for dll in "${wine_env_dlls[@]}"; do
		find "$prefix" -name "$dll" -print -quit
	done
}

# Our opengl32.dll and WGL driver beside the programs in $1, loaded in Wine's stead.
wine_env_use_our_gl() {
	local dir=$1 prefix=$2 dlls
	dlls=$(wine_env_mesa_dlls "$prefix")
	[ "$(echo "$dlls" | grep -c .)" -eq "${#wine_env_dlls[@]}" ] ||
		{ echo "wine-env: no ${wine_env_dlls[*]} under $prefix" >&2; return 1; }
	cp -f $dlls "$dir/"
	export WINEDLLOVERRIDES=opengl32=n GALLIUM_DRIVER=vgpu
}

# Stops the sim wine_env_start_sim started, so that another can take its place.
wine_env_stop_sim() {
	local pid
	for pid in ${wine_env_sim:-}; do
		{ kill "$pid" && wait "$pid"; } 2>/dev/null || true
	done
	wine_env_sim=
}

wine_env_stop() {
	local pid
	wine_env_stop_sim
	# Only this prefix's wineserver (and so only our Wine processes) goes.
	[ -z "${WINEPREFIX:-}" ] || wineserver -k >/dev/null 2>&1 || true
	for pid in ${wine_env_xvfb:-}; do
		{ kill "$pid" && wait "$pid"; } 2>/dev/null || true
	done
	wine_env_xvfb=
	return 0
}
