module wasihost.dev/wasihost

go 1.22
