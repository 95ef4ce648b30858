module example.com/hostile/svc

go 1.26.8
